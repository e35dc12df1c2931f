import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { parsePolicy } from '../contract/policy.ts';
import type { Logger } from './log.ts';
import { createPolicySource } from './policy-source.ts';

const HOUR = 3_600_000;
const quiet: Logger = { log: () => {} };

/** A directory of log-dirs whose own max-age is 1h, as its `--dir` entry pins it. */
function gcSource(file: { text: string }) {
  const fallback = { [KEYS.logDir]: '/var/logward/logs-2', [KEYS.maxAge]: '1h' };
  const initial = parsePolicy({}, fallback);
  if (!initial.ok) throw new Error('fallback');
  return createPolicySource({
    initial: initial.policy,
    file: '/etc/logward/annotations',
    fallback,
    pinned: [KEYS.maxAge],
    readFile: async () => file.text,
    logger: quiet,
  });
}

describe('the policy source of one of several directories', () => {
  it("applies the pod's annotations live, but not over the keys the directory sets for itself", async () => {
    const file = {
      text: [
        `${KEYS.logDirs}="/var/log/nginx,/app/gc:max-age=1h"`,
        `${KEYS.maxAge}="3d"`,
        `${KEYS.maxFiles}="4"`,
      ].join('\n'),
    };
    const source = gcSource(file);
    expect(await source.reload()).toBe(true);
    expect(source.current.maxAgeMs).toBe(HOUR);
    expect(source.current.maxFiles).toBe(4);
    // The app's paths are not the sidecar's: log-dirs never becomes the directory it keeps.
    expect(source.current.logDir).toBe('/var/logward/logs-2');
    file.text = `${KEYS.maxAge}="7d"\n${KEYS.maxFiles}="6"`;
    expect(await source.reload()).toBe(true);
    expect(source.current).toMatchObject({ maxAgeMs: HOUR, maxFiles: 6 });
  });
});
