import { webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

// The webhook's own small certificate authority, for clusters without cert-manager. ECDSA P-256:
// fast to generate at start-up, accepted by every supported kube-apiserver.

/**
 * @peculiar/x509, loaded when a certificate is made: a replica that adopts what the Secret holds
 * only reads certificates, which node:crypto does, and so starts a quarter of a second sooner.
 */
async function x509Library(): Promise<typeof import('@peculiar/x509')> {
  // It resolves its parsers through tsyringe, which needs the Reflect metadata API first.
  await import('reflect-metadata');
  return await import('@peculiar/x509');
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export const CA_LIFETIME_MS = 10 * 365 * DAY;
export const SERVING_LIFETIME_MS = 365 * DAY;

export interface PemPair {
  cert: string;
  key: string;
}

export interface Authority extends PemPair {
  keys: webcrypto.CryptoKeyPair;
}

export async function createAuthority(commonName: string, now: Date): Promise<Authority> {
  const x509 = await x509Library();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${commonName}`,
      // A minute of slack for clocks that disagree.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey), keys };
}

export async function importAuthority(pair: PemPair): Promise<Authority> {
  const x509 = await x509Library();
  const cert = new x509.X509Certificate(pair.cert);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(pair.key), ALGORITHM, true, ['sign']);
  const publicKey = await cert.publicKey.export(ALGORITHM, ['verify'], webcrypto);
  return { ...pair, keys: { privateKey, publicKey } };
}

/**
 * A serving certificate for `hosts` (the Service's DNS names, plus any extra names or IP
 * addresses a URL-configured webhook is called by), signed by `ca`.
 */
export async function issueServing(ca: Authority, hosts: readonly string[], now: Date): Promise<PemPair> {
  const x509 = await x509Library();
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caCert = new x509.X509Certificate(ca.cert);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${hosts[0]}`,
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + SERVING_LIFETIME_MS),
      signingKey: ca.keys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** The DNS names kube-apiserver may use to reach `service` in `namespace`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    `${service}.${namespace}`,
    service,
  ];
}

export interface CertificateFacts {
  notBefore: number;
  notAfter: number;
  /** DNS names and IP addresses from the subjectAltName, in order. */
  hosts: string[];
}

export function certificateFacts(pem: string): CertificateFacts {
  const cert = new X509Certificate(pem);
  return {
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    hosts: (cert.subjectAltName ?? '')
      .split(', ')
      .filter((name) => name.startsWith('DNS:') || name.startsWith('IP Address:'))
      .map((name) => name.slice(name.indexOf(':') + 1)),
  };
}

/** Whether `leaf` was signed by `ca`. */
export function issuedBy(leaf: string, ca: string): boolean {
  try {
    const issuer = new X509Certificate(ca);
    const cert = new X509Certificate(leaf);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function serial(): string {
  // Positive 128-bit serial: the top bit cleared so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}
