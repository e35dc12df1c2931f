import {
  type Authority,
  certificateFacts,
  createAuthority,
  importAuthority,
  issuedBy,
  issueServing,
  type PemPair,
} from './certificates.ts';

const DAY = 86_400_000;
/** A new CA joins the bundle a year before the old one expires; the old one stays until it does. */
export const CA_RENEW_BEFORE_MS = 365 * DAY;
/** Serving certificates live a year and are replaced with three months to spare. */
export const SERVING_RENEW_BEFORE_MS = 90 * DAY;

/** What the webhook keeps in its Secret so that every replica serves the same chain. */
export interface StoredCertificates {
  ca: PemPair;
  /** The CA this one replaced, trusted until it expires so certificates it signed keep working. */
  previousCa?: string;
  serving: PemPair;
}

export type RenewalStep =
  | { kind: 'keep' }
  | { kind: 'create' }
  | { kind: 'rotate-ca'; why: string }
  | { kind: 'issue-serving'; why: string };

/** Pure: what to do with what is stored, at `now`. */
export function planRenewal(
  stored: StoredCertificates | undefined,
  dnsNames: readonly string[],
  now: number,
): RenewalStep {
  if (!stored) return { kind: 'create' };
  const ca = certificateFacts(stored.ca.cert);
  if (ca.notAfter - now < CA_RENEW_BEFORE_MS) {
    return { kind: 'rotate-ca', why: `the CA expires ${new Date(ca.notAfter).toISOString()}` };
  }
  const serving = certificateFacts(stored.serving.cert);
  if (!issuedBy(stored.serving.cert, stored.ca.cert))
    return { kind: 'issue-serving', why: 'the serving certificate is not signed by the CA' };
  const missing = dnsNames.filter((name) => !serving.hosts.includes(name));
  if (missing.length > 0)
    return { kind: 'issue-serving', why: `the serving certificate lacks ${missing.join(', ')}` };
  if (serving.notAfter - now < SERVING_RENEW_BEFORE_MS) {
    return {
      kind: 'issue-serving',
      why: `the serving certificate expires ${new Date(serving.notAfter).toISOString()}`,
    };
  }
  return { kind: 'keep' };
}

export async function renew(
  stored: StoredCertificates | undefined,
  step: Exclude<RenewalStep, { kind: 'keep' }>,
  dnsNames: readonly string[],
  now: number,
): Promise<StoredCertificates> {
  const at = new Date(now);
  let ca: Authority;
  let previousCa: string | undefined;
  if (step.kind === 'issue-serving' && stored) {
    ca = await importAuthority(stored.ca);
    previousCa = stored.previousCa;
  } else {
    ca = await createAuthority(`logward-webhook-ca-${at.toISOString().slice(0, 10)}`, at);
    previousCa = stored?.ca.cert;
  }
  if (previousCa && certificateFacts(previousCa).notAfter <= now) previousCa = undefined;
  const serving = await issueServing(ca, dnsNames, at);
  return { ca: { cert: ca.cert, key: ca.key }, ...(previousCa ? { previousCa } : {}), serving };
}

/** The caBundle the API server must trust: the current CA, and the previous one while it lives. */
export function caBundle(stored: StoredCertificates, now: number): string {
  const previous =
    stored.previousCa && certificateFacts(stored.previousCa).notAfter > now ? stored.previousCa : '';
  return `${[stored.ca.cert.trim(), previous.trim()].filter(Boolean).join('\n')}\n`;
}

/** Where the certificates live (a Secret), with optimistic concurrency between replicas. */
export interface CertificateStore {
  read(): Promise<{ stored?: StoredCertificates; version?: string }>;
  /** `version` undefined creates; returns false when another replica wrote first. */
  write(stored: StoredCertificates, version: string | undefined): Promise<boolean>;
}

/** Sets the caBundle of our webhook configurations: how many webhooks it changed, which configurations it did not find. */
export type CaBundlePublisher = (bundle: string) => Promise<{ patched: number; missing: string[] }>;

export interface Bootstrapped {
  stored: StoredCertificates;
  /** What changed this round, for logs: `created`, `rotated CA: ...`, `renewed serving: ...`, or undefined. */
  change?: string;
  patchedWebhooks: number;
  /** Webhook configurations that do not exist (yet): the caller checks again soon. */
  missingConfigurations: string[];
}

/**
 * One round of the built-in TLS: read the Secret, renew what needs it, write it back (the first
 * replica to write wins; the others adopt its result), then make sure the webhook configurations
 * trust the bundle. Safe to run on every replica at any time.
 */
export async function ensureCertificates(
  store: CertificateStore,
  publish: CaBundlePublisher,
  dnsNames: readonly string[],
  now: () => number,
): Promise<Bootstrapped> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { stored, version } = await store.read();
    const step = planRenewal(stored, dnsNames, now());
    if (step.kind === 'keep' && stored) {
      const published = await publish(caBundle(stored, now()));
      return { stored, patchedWebhooks: published.patched, missingConfigurations: published.missing };
    }
    if (step.kind === 'keep') continue;
    const next = await renew(stored, step, dnsNames, now());
    if (!(await store.write(next, version))) continue;
    const change =
      step.kind === 'create'
        ? 'created'
        : `${step.kind === 'rotate-ca' ? 'rotated CA' : 'renewed serving certificate'}: ${step.why}`;
    const published = await publish(caBundle(next, now()));
    return {
      stored: next,
      change,
      patchedWebhooks: published.patched,
      missingConfigurations: published.missing,
    };
  }
  throw new Error(
    'failed to store the webhook certificates: other replicas kept writing the Secret; will retry',
  );
}
