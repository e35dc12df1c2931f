/**
 * Builds the node's images with test/node/images/build.sh (buildah, nothing pulled) into docker
 * archives for `ctr images import`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(new URL('./images/build.sh', import.meta.url));

export interface BuiltImage {
  name: string;
  ref: string;
  archive: string;
}

/**
 * `secretMarker` goes into the npmrc build secret, so a test can look for it in every layer.
 * Resolves to the images by name: pause, going, logward-webhook, logward-sidecar.
 */
export async function buildImages(
  outDir: string,
  pauseBinary: string,
  secretMarker: string,
): Promise<Record<string, BuiltImage>> {
  const child = spawn('bash', [BUILD_SCRIPT, outDir, pauseBinary], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOGWARD_SECRET_MARKER: secretMarker },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${BUILD_SCRIPT} exited with ${code}`);
  const images: Record<string, BuiltImage> = {};
  for (const line of out.trim().split('\n')) {
    const [name = '', ref = '', archive = ''] = line.split(' ');
    images[name] = { name, ref, archive };
  }
  return images;
}
