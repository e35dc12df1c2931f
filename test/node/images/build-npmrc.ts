// Prints the npmrc the image builds get as their one build secret: this machine's registry and
// the certificates npm trusts here, inline, because a cafile path on this machine means
// nothing inside a build. A first comment line carries a marker the tests look for in every
// image layer. Usage: npm config list --json | node build-npmrc.ts MARKER
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

const marker = process.argv[2] ?? 'unmarked';
const config = JSON.parse(readFileSync(0, 'utf8')) as { registry?: string; cafile?: string | null };
const pems = (file: string) =>
  readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

// npm's `ca` replaces what it trusts: a cafile does the same; NODE_EXTRA_CA_CERTS adds to Node's own.
let certificates: string[] = [];
if (config.cafile) certificates = pems(config.cafile);
else if (process.env.NODE_EXTRA_CA_CERTS)
  certificates = [...rootCertificates, ...pems(process.env.NODE_EXTRA_CA_CERTS)];

const lines = [
  `# logward-node-e2e build secret ${marker}`,
  `registry=${config.registry ?? 'https://registry.npmjs.org/'}`,
];
// An ini value in double quotes is read as a JSON string: the newlines survive as \n.
for (const pem of certificates) lines.push(`ca[]=${JSON.stringify(`${pem}\n`)}`);
process.stdout.write(`${lines.join('\n')}\n`);
