import type { Operation } from 'fast-json-patch';
import type { KubeObject } from '../inject/workloads.ts';

// admission.k8s.io/v1 as far as we read and write it.

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** A response before it is tied to a request: `complete` adds the uid. */
export type Verdict = Omit<AdmissionResponse, 'uid'>;

export function allowed(): Verdict {
  return { allowed: true };
}

export function patched(operations: readonly Operation[]): Verdict {
  if (operations.length === 0) return allowed();
  return {
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(operations)).toString('base64'),
  };
}

/** Refused for a reason the user can fix; kube-apiserver shows `message` to whoever applied. */
export function denied(message: string): Verdict {
  return { allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}

/**
 * We failed, not the user, and the admin chose `--fail-closed`: refused, as `failurePolicy:
 * Fail` would. The API server enforces `allowed: false` whatever the failurePolicy, so this is
 * never the default.
 */
export function errored(code: number, message: string): Verdict {
  return { allowed: false, status: { code, message } };
}

/** We failed, not the user: admitted unchanged, as if Logward were absent, and told why. */
export function failedOpen(message: string): Verdict {
  return { allowed: true, warnings: [message] };
}

export function withWarnings(verdict: Verdict, warnings: readonly string[]): Verdict {
  const unique = [...new Set([...(verdict.warnings ?? []), ...warnings])];
  return unique.length > 0 ? { ...verdict, warnings: unique } : verdict;
}

/** The only place an AdmissionReview is assembled: echoes the request's uid, as the API server requires. */
export function complete(verdict: Verdict, request: Pick<AdmissionRequest, 'uid'>): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: request.uid, ...verdict },
  };
}

/**
 * `complete(verdict, request)` as JSON text. A frozen verdict's text is kept while the verdict
 * lives: the replicas of one pod template share one (template-answers.ts freezes it), and the
 * patch in it is most of the answer's text.
 */
export function completeText(verdict: Verdict, request: Pick<AdmissionRequest, 'uid'>): string {
  let rest = verdictTexts.get(verdict);
  if (rest === undefined) {
    const members = JSON.stringify(verdict).slice(1);
    rest = members === '}' ? '}}' : `,${members}}`;
    if (Object.isFrozen(verdict)) verdictTexts.set(verdict, rest);
  }
  return `${REVIEW_HEAD}${JSON.stringify(request.uid)}${rest}`;
}

const REVIEW_HEAD = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":';
const verdictTexts = new WeakMap<Verdict, string>();

export type ReviewParse = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

/** Checks the envelope we rely on, naming the field that is wrong. */
export function parseReview(body: unknown): ReviewParse {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'body is not a JSON object; send an admission.k8s.io/v1 AdmissionReview' };
  }
  const review = body as Record<string, unknown>;
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    return {
      ok: false,
      message: `apiVersion/kind ${JSON.stringify(review.apiVersion)}/${JSON.stringify(review.kind)} is not supported; send apiVersion "admission.k8s.io/v1", kind "AdmissionReview" (set admissionReviewVersions: ["v1"])`,
    };
  }
  const request = review.request as Record<string, unknown> | undefined;
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { ok: false, message: 'request is missing; an AdmissionReview sent to a webhook carries request' };
  }
  if (typeof request.uid !== 'string' || request.uid === '') {
    return { ok: false, message: 'request.uid is missing; it must be a non-empty string' };
  }
  const kind = request.kind as Record<string, unknown> | undefined;
  if (kind === null || typeof kind !== 'object' || typeof kind.kind !== 'string') {
    return { ok: false, message: 'request.kind is missing; it must be {group, version, kind}' };
  }
  if (
    request.object !== undefined &&
    (request.object === null || typeof request.object !== 'object' || Array.isArray(request.object))
  ) {
    return { ok: false, message: 'request.object is not an object' };
  }
  return { ok: true, request: request as unknown as AdmissionRequest };
}
