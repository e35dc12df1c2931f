import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reviewBodies } from './review-bodies.ts';
import { REVIEW } from './suites/webhook.ts';

const text = readFileSync(REVIEW, 'utf8');
const fixture = JSON.parse(text);

describe("the load generator's reviews", () => {
  it('sends the fixture unchanged by default', () => {
    expect(reviewBodies(text, 'none')(7)).toBe(text);
  });

  it("gives each review its own well-formed uid, and nothing else of the fixture's changes", () => {
    const body = reviewBodies(text, 'uid');
    const [a, b] = [JSON.parse(body(1)), JSON.parse(body(4096))];
    expect(a.request.uid).not.toBe(b.request.uid);
    for (const review of [a, b]) {
      expect(review.request.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect({ ...review, request: { ...review.request, uid: fixture.request.uid } }).toEqual(fixture);
    }
  });

  it('makes each pod a different one, its generateName numbered', () => {
    const body = reviewBodies(text, 'pod');
    const [a, b] = [JSON.parse(body(1)), JSON.parse(body(2))];
    expect(a.request.uid).not.toBe(b.request.uid);
    expect(a.request.object.metadata.generateName).not.toBe(b.request.object.metadata.generateName);
    expect(a.request.object.metadata.generateName).toMatch(/^going-5d8f7c9b4-1-$/);
    const { generateName: _, ...rest } = a.request.object.metadata;
    const { generateName: __, ...expected } = fixture.request.object.metadata;
    expect(rest).toEqual(expected);
  });

  it('names the accepted values of --vary', () => {
    expect(() => reviewBodies(text, 'both')).toThrow('--vary both: expected none, uid or pod');
  });
});
