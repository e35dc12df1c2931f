import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type JsonParser, type ReviewTextOptions, reviewTextParser } from './review-text.ts';

// fastify's own JSON parser, counted: what the API server's replicas of one template cost.
function counted() {
  const fastifyParse = Fastify().getDefaultJsonParser('error', 'error') as JsonParser;
  const calls: string[] = [];
  const parse: JsonParser = (req, text, done) => {
    calls.push(text);
    fastifyParse(req, text, done);
  };
  return { parse, calls };
}

/** What these tests read of a parsed review. */
interface Parsed {
  request: {
    uid: string;
    object: { metadata: { generateName?: string; uid?: string }; spec: { containers: object[] } };
  };
}

function parseWith(parser: JsonParser, text: string): { error?: Error; value: Parsed } {
  let result: { error?: Error; value: Parsed } | undefined;
  parser({}, text, (error, value) => {
    result = { error: error ?? undefined, value: value as Parsed };
  });
  if (!result) throw new Error('the parser did not call done synchronously');
  return result;
}

// As the API server writes it: compact, request.uid before the object, generateName and no name.
const replica = (uid: string, extra = '') =>
  `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"${uid}","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","operation":"CREATE","object":{"metadata":{"generateName":"web-6d4b-","ownerReferences":[{"kind":"ReplicaSet","name":"web-6d4b","uid":"0e1f","controller":true}]${extra}},"spec":{"containers":[{"name":"app","image":"shop/web:1"}]}}}}`;

describe('the review text parser: one parse per pod template', () => {
  it("parses a template's text twice, then answers its replicas from memory, each with its own uid", () => {
    const { parse, calls } = counted();
    const parser = reviewTextParser(parse);
    const [first, second, third] = ['aaaa-1', 'bbbb-2', 'cccc-3'].map((uid) =>
      parseWith(parser, replica(uid)),
    );
    // Once as sent, once to place its uid and remember it; the third is the second's.
    expect(calls).toHaveLength(2);
    expect([first, second, third].map((parsed) => parsed?.value.request.uid)).toEqual([
      'aaaa-1',
      'bbbb-2',
      'cccc-3',
    ]);
    expect(third!.value.request.object).toBe(second!.value.request.object);
    expect(third!.value).toEqual(JSON.parse(replica('cccc-3')));
    expect(parser.size()).toBe(1);
  });

  it('parses again when anything but the uid differs, by one character', () => {
    const { parse, calls } = counted();
    const parser = reviewTextParser(parse);
    parseWith(parser, replica('aaaa-1'));
    const other = parseWith(parser, replica('bbbb-2').replace('web-6d4b-', 'web-6d4c-'));
    expect(calls).toHaveLength(2);
    expect(other.value.request.object.metadata.generateName).toBe('web-6d4c-');
  });

  it('shares a remembered review frozen: code that writes to it throws instead of changing the next replica', () => {
    const parser = reviewTextParser(counted().parse);
    const once = parseWith(parser, replica('aaaa-1')).value;
    // Seen once, the review is this request's alone, and nothing stops its owner changing it.
    once.request.object.metadata.generateName = 'changed-';
    const { value } = parseWith(parser, replica('bbbb-2'));
    expect(value.request.object.metadata.generateName).toBe('web-6d4b-');
    expect(() => {
      value.request.object.metadata.generateName = 'changed-';
    }).toThrow(TypeError);
    expect(() => value.request.object.spec.containers.push({ name: 'more' })).toThrow(TypeError);
    // The envelope and the request are this request's own.
    value.request.uid = 'mine';
    expect(parseWith(parser, replica('cccc-3')).value.request.uid).toBe('cccc-3');
  });

  it('finds request.uid even when another uid comes first, and remembers nothing it cannot place', () => {
    const { parse, calls } = counted();
    const parser = reviewTextParser(parse);
    // A client writing the object before request.uid: the first uid member is the object's, and
    // texts that differ only there are different objects, not replicas.
    const objectFirst = (objectUid: string) =>
      `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{"metadata":{"uid":"${objectUid}"}},"uid":"aaaa-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE"}}`;
    for (const objectUid of ['0e1f', '1a2b', '2c3d']) {
      expect(parseWith(parser, objectFirst(objectUid)).value.request).toMatchObject({
        uid: 'aaaa-1',
        object: { metadata: { uid: objectUid } },
      });
    }
    expect(parser.size()).toBe(0);
    // The second: parsed with the probe, which did not come back as request.uid, then as sent.
    expect(calls).toHaveLength(4);
  });

  it('leaves a uid with characters JSON escapes, or a text without one, to the plain parse', () => {
    const { parse, calls } = counted();
    const parser = reviewTextParser(parse);
    const escaped = replica('a\\u0062c');
    expect(parseWith(parser, escaped).value.request.uid).toBe('abc');
    expect(parseWith(parser, escaped).value.request.uid).toBe('abc');
    expect(parseWith(parser, '{"apiVersion":"admission.k8s.io/v1"}').value as unknown).toEqual({
      apiVersion: 'admission.k8s.io/v1',
    });
    expect(calls).toHaveLength(3);
    expect(parser.size()).toBe(0);
  });

  it("refuses what fastify's parser refuses, first time and after: prototype poisoning, broken JSON", () => {
    const parser = reviewTextParser(counted().parse);
    const poisoned = replica('aaaa-1', ',"__proto__":{"polluted":true}');
    const refused = parseWith(parser, poisoned);
    expect(refused.error?.message).toMatch(/not valid JSON/);
    expect(parseWith(parser, replica('bbbb-2', ',"__proto__":{"polluted":true}')).error).toBeDefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseWith(parser, replica('aaaa-1').slice(0, -1)).error?.message).toMatch(/not valid JSON/);
    expect(parser.size()).toBe(0);
  });

  it('keeps at most maxEntries reviews, forgetting the first remembered, and none longer than maxChars', () => {
    const { parse, calls } = counted();
    const options: ReviewTextOptions = { maxEntries: 3, maxChars: replica('x').length + 40 };
    const parser = reviewTextParser(parse, options);
    const template = (n: number) => (uid: string) => replica(uid).replace('web-6d4b-', `web-${n}-`);
    for (const n of [1, 2, 3, 4]) for (const uid of ['aaaa-1', 'bbbb-2']) parseWith(parser, template(n)(uid));
    expect(calls).toHaveLength(8);
    expect(parser.size()).toBe(3);
    parseWith(parser, template(4)('cccc-3'));
    expect(calls).toHaveLength(8);
    parseWith(parser, template(1)('cccc-3'));
    expect(calls).toHaveLength(9);
    const long = (uid: string) => replica(uid, `,"labels":{"pad":"${'x'.repeat(60)}"}`);
    for (const uid of ['aaaa-1', 'bbbb-2', 'cccc-3']) parseWith(parser, long(uid));
    expect(calls).toHaveLength(12);
  });
});
