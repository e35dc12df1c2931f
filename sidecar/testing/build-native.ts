// vitest globalSetup: builds the sidecar's hole-map helper (native/extents.c) once, so the tests
// run the sidecar as its image does. Fails loudly without a C compiler: the tests about holes
// and zeros would otherwise test the fallback instead.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

const source = new URL('../native/extents.c', import.meta.url).pathname;
const built = new URL('../native/logward-extents', import.meta.url).pathname;
const script = new URL('../native/build.sh', import.meta.url).pathname;

export default function setup(): void {
  const binary = statSync(built, { throwIfNoEntry: false });
  if (binary && binary.mtimeMs >= statSync(source).mtimeMs) return;
  try {
    execFileSync('sh', [script, built], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(
      `could not build sidecar/native/logward-extents (a C compiler, cc, is needed): ${stderr}`,
    );
  }
}
