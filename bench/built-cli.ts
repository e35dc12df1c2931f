// The form the images run: the JavaScript `npm run build` emits (Node's type stripping costs a
// process tens of MiB and part of its start), built once per bench run into its directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execForm, parseDockerfile } from '../test/images/dockerfile.ts';
import { buildJavaScript } from '../test/support/webhook-process.ts';

const ROOT = new URL('..', import.meta.url).pathname;

let built: Promise<string> | undefined;

/** The built `cli/logward.js` under `root`, compiled on first use. */
export function builtCli(root: string): Promise<string> {
  built ??= buildJavaScript(join(root, 'built'));
  return built;
}

/** The Node options an image's ENTRYPOINT gives (`--max-semi-space-size=2`, ...), so a bench runs what the image runs. */
export function imageNodeOptions(dockerfile: 'Dockerfile.webhook' | 'Dockerfile.sidecar'): string[] {
  const stages = parseDockerfile(readFileSync(join(ROOT, dockerfile), 'utf8'));
  const [, ...options] = execForm(stages.at(-1)!, 'ENTRYPOINT');
  options.pop(); // the script
  return options;
}
