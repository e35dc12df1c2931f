import { randomUUID } from 'node:crypto';

// The API server sends the replicas of one ReplicaSet as the same text: their pods carry
// generateName, not a name (it is chosen after mutating admission), so two reviews of one pod
// template differ only in request.uid. The text around its uid therefore stands for everything
// parsed from it: a review whose text came before is not parsed again, and the decision made
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
  /** Reviews remembered, and as many texts seen once besides: the first seen forgotten first. */
  maxEntries: number;
  /** Longer texts are parsed every time: a large pod would keep its text and objects in memory. */
  maxChars: number;
}

/** At most 64 texts of 32 KiB and 32 reviews parsed from them; a realistic pod's is 3 KiB. */
export const REVIEW_TEXT_DEFAULTS: ReviewTextOptions = { maxEntries: 32, maxChars: 32 * 1024 };

/** The uids the API server writes (RFC 4122 text); anything else is parsed as usual. */
const PLAIN_UID = /^[0-9A-Za-z-]{1,64}$/;
const UID_MEMBER = /"uid"\s*:\s*"/;

/**
 * A JSON body parser for AdmissionReviews that parses a review text at most twice, however many
 * times it comes with another uid. Hits return the remembered review, deeply frozen, in a new
 * envelope carrying this request's uid; everything else goes to `parse` (fastify's own, with its
 * checks for prototype poisoning), so what is accepted and refused does not change.
 */
export function reviewTextParser(
  parse: JsonParser,
  options: ReviewTextOptions = REVIEW_TEXT_DEFAULTS,
): JsonParser & { size(): number } {
  // Texts by length, each compared around its uid with ===, which compares slices of two texts
  // in place (a few hundred ns for a pod); a key string built per review would be copied and
  // hashed whole (several µs), and startsWith compares character by character.
  const byLength = new Map<number, Seen[]>();
  const order: Seen[] = [];
  let remembered = 0;
  // Unguessable, so a client cannot send it to make another member pass for request.uid.
  const probe = randomUUID();

  const forgetOldest = () => {
    const oldest = order.shift()!;
    if (oldest.review) remembered -= 1;
    const left = byLength.get(oldest.length)!.filter((seen) => seen !== oldest);
    if (left.length > 0) byLength.set(oldest.length, left);
    else byLength.delete(oldest.length);
  };

  const parser = (req: unknown, text: string, done: (error: Error | null, value?: unknown) => void) => {
    const place = text.length <= options.maxChars ? uidPlace(text) : undefined;
    if (!place) {
      parse(req, text, done);
      return;
    }
    const before = text.slice(0, place.from);
    const after = text.slice(place.to);
    const seen = byLength.get(text.length)?.find((other) => other.before === before && other.after === after);
    if (seen?.review) {
      done(null, withUid(seen.review, place.uid));
      return;
    }
    // A review is remembered the second time its text comes: pods of which no two are alike (a
    // StatefulSet's, a DaemonSet's) then cost a comparison, not a copy frozen for nothing.
    if (seen && !seen.placeable) {
      parse(req, text, done);
      return;
    }
    if (!seen) {
      const first: Seen = { length: text.length, before, after, placeable: true, review: undefined };
      byLength.set(text.length, [...(byLength.get(text.length) ?? []), first]);
      order.push(first);
      if (order.length > 2 * options.maxEntries) forgetOldest();
      parse(req, text, done);
      return;
    }
    // Parsed with the probe where the uid was: if request.uid comes back as the probe, that place
    // holds request.uid, and any text equal but for it is the same review with another uid.
    parse(req, `${before}${probe}${after}`, (error, value) => {
      if (error) {
        done(error);
        return;
      }
      const review = value as Review;
      if (review?.request?.uid !== probe) {
        seen.placeable = false;
        parse(req, text, done);
        return;
      }
      review.request.uid = place.uid;
      deepFreeze(review);
      seen.review = review;
      remembered += 1;
      // The first seen is the first forgotten, remembered or not.
      while (remembered > options.maxEntries) forgetOldest();
      done(null, withUid(review, place.uid));
    });
  };
  return Object.assign(parser, { size: () => remembered });
}

/** A text seen before, as the text around its uid (slices of it), and its review once remembered. */
interface Seen {
  length: number;
  before: string;
  after: string;
  /** False once the probe showed the first uid member is not request.uid: parsed as sent from then on. */
  placeable: boolean;
  review: Review | undefined;
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
