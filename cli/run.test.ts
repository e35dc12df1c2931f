import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../base/testing.ts';
import { run } from './run.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('logward CLI', () => {
  it('prints the version from package.json', async () => {
    const io = memoryIo();
    expect(await run(['--version'], io.io)).toBe(0);
    expect(io.stdout()).toBe(`logward ${pkg.version}\n`);
  });

  it('exits 2 naming the unknown command', async () => {
    const io = memoryIo();
    expect(await run(['rotate'], io.io)).toBe(2);
    expect(io.stderr()).toMatch(/unknown command "rotate"; use one of/);
  });

  it('runs as a real process through the package bin', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [pkg.bin.logward, '--help']);
    expect(stdout).toMatch(/^Usage: logward <command>/);
  });
});
