import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface Authority extends Issued {
  dir: string;
  name: string;
}

/** A throwaway CA made with the openssl CLI, for tests that need real TLS. */
export async function createAuthority(dir: string, name = 'logward-test-ca'): Promise<Authority> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return {
    dir,
    name,
    keyFile,
    certFile,
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
  };
}

export interface IssueOptions {
  commonName: string;
  /** Subject organisations: Kubernetes reads them as the groups of a client certificate. */
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  usage?: 'server' | 'client';
}

/** A leaf certificate signed by `ca`, files named after the common name. */
export async function issue(ca: Authority, options: IssueOptions): Promise<Issued> {
  const base = join(ca.dir, options.commonName.replace(/[^a-zA-Z0-9.-]/g, '_'));
  const keyFile = `${base}.key`;
  const csrFile = `${base}.csr`;
  const certFile = `${base}.crt`;
  const extFile = `${base}.ext`;
  const subject = [...(options.organizations ?? []).map((o) => `/O=${o}`), `/CN=${options.commonName}`].join(
    '',
  );
  const sans = [
    ...(options.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(options.ips ?? []).map((ip) => `IP:${ip}`),
  ];
  const usage = options.usage ?? 'server';
  await writeFile(
    extFile,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n'),
  );
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  await run('openssl', ['req', '-new', '-key', keyFile, '-out', csrFile, '-subj', subject]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '2',
    '-extfile',
    extFile,
  ]);
  return { keyFile, certFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

export interface LocalhostTls {
  /** A fresh temporary directory holding the files; removed by `remove()`. */
  dir: string;
  ca: Authority;
  /** Valid for localhost and 127.0.0.1. */
  serving: Issued;
  remove(): Promise<void>;
}

/** A CA and a serving certificate for a server on this machine, in a directory of their own. */
export async function localhostTls(prefix: string): Promise<LocalhostTls> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const ca = await createAuthority(dir);
  const serving = await issue(ca, { commonName: 'localhost', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  return { dir, ca, serving, remove: () => rm(dir, { recursive: true, force: true }) };
}
