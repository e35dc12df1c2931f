// The form the images run: the JavaScript `npm run build` emits (Node's type stripping costs a
// process tens of MiB and part of its start), built once per bench run into its directory.
import { join } from 'node:path';
import { buildJavaScript } from '../test/support/webhook-process.ts';

let built: Promise<string> | undefined;

/** The built `cli/logward.js` under `root`, compiled on first use. */
export function builtCli(root: string): Promise<string> {
  built ??= buildJavaScript(join(root, 'built'));
  return built;
}
