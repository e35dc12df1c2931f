import { randomUUID } from 'node:crypto';

// The API server sends the replicas of one ReplicaSet as the same text: their pods carry
// generateName, not a name (it is chosen after mutating admission), so two reviews of one pod
// template differ only in request.uid. The text with its uid left out is therefore a key for
// everything parsed from it; a review seen before is not parsed again, and the decision made
// for it (template-answers.ts) can be remembered with the parsed object as its key.
//
// The uid is found without parsing: the first "uid" member of the text, as the API server
// writes request.uid before the object. Where that is not request.uid (a client writing
// members in another order), the review is parsed as usual and not remembered.

/** A body parser as fastify calls it: `done(error)` or `done(null, value)`. */
export type JsonParser = (
  req: unknown,
  text: string,
  done: (error: Error | null, value?: unknown) => void,
) => void;

export interface ReviewTextOptions {
  /** Reviews remembered, and texts seen once, each: the first remembered forgotten first. */
  maxEntries: number;
  /** Longer texts are parsed every time: a large pod would keep its text and objects in memory. */
  maxChars: number;
}

/** About 400 KiB of text and the objects parsed from it, at most, for a realistic pod. */
export const REVIEW_TEXT_DEFAULTS: ReviewTextOptions = { maxEntries: 32, maxChars: 32 * 1024 };

/** The uids the API server writes (RFC 4122 text); anything else is parsed as usual. */
const PLAIN_UID = /^[0-9A-Za-z-]{1,64}$/;
const UID_MEMBER = /"uid"\s*:\s*"/;

/**
 * A JSON body parser for AdmissionReviews that parses each review text once. Hits return the
 * remembered review, deeply frozen, in a new envelope carrying this request's uid; misses and
 * any text it cannot place the uid in go to `parse` (fastify's own, with its checks for
 * prototype poisoning), so what is accepted and refused does not change.
 */
export function reviewTextParser(
  parse: JsonParser,
  options: ReviewTextOptions = REVIEW_TEXT_DEFAULTS,
): JsonParser & { size(): number } {
  // Keyed by the text without its uid: one hash of the text per review, however many are
  // remembered (comparing the text with each remembered one would cost a scan per review).
  const remembered = new Map<string, Review>();
  // Texts seen once. A review is remembered the second time its text comes: pods of which no two
  // are alike (a StatefulSet's, a DaemonSet's) then cost a lookup, not a copy frozen for nothing.
  const sightings = new Set<string>();
  // Unguessable, so a client cannot send it to make another member pass for request.uid.
  const probe = randomUUID();

  const parser = (req: unknown, text: string, done: (error: Error | null, value?: unknown) => void) => {
    const place = text.length <= options.maxChars ? uidPlace(text) : undefined;
    if (!place) {
      parse(req, text, done);
      return;
    }
    const before = text.slice(0, place.from);
    const after = text.slice(place.to);
    const key = `${before}${after}`;
    const seen = remembered.get(key);
    if (seen) {
      done(null, withUid(seen, place.uid));
      return;
    }
    if (!sightings.has(key)) {
      sightings.add(key);
      if (sightings.size > options.maxEntries) sightings.delete(sightings.values().next().value!);
      parse(req, text, done);
      return;
    }
    sightings.delete(key);
    // Parsed with the probe where the uid was: if request.uid comes back as the probe, that place
    // holds request.uid, and any text equal but for it is the same review with another uid.
    parse(req, `${before}${probe}${after}`, (error, value) => {
      if (error) {
        done(error);
        return;
      }
      const review = value as Review;
      if (review?.request?.uid !== probe) {
        parse(req, text, done);
        return;
      }
      review.request.uid = place.uid;
      deepFreeze(review);
      remembered.set(key, review);
      // The first remembered is the first forgotten: a Map keeps its keys in insertion order.
      if (remembered.size > options.maxEntries) remembered.delete(remembered.keys().next().value!);
      done(null, withUid(review, place.uid));
    });
  };
  return Object.assign(parser, { size: () => remembered.size });
}

interface Review {
  request?: { uid?: unknown; [member: string]: unknown };
  [member: string]: unknown;
}

function uidPlace(text: string): { from: number; to: number; uid: string } | undefined {
  const member = UID_MEMBER.exec(text);
  if (!member) return undefined;
  const from = member.index + member[0].length;
  const to = text.indexOf('"', from);
  const uid = text.slice(from, to);
  return to !== -1 && PLAIN_UID.test(uid) ? { from, to, uid } : undefined;
}

/** The remembered review as this request's: new envelope and request, the rest shared and frozen. */
function withUid(review: Review, uid: string): Review {
  return { ...review, request: { ...review.request, uid } };
}

/** Shared between requests, so no code may change it; a write throws instead of leaking into the next review. */
function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}
