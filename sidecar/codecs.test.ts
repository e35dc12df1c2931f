import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CODEC_NAMES, CODECS } from '../contract/codecs.ts';
import { CODEC_IMPLEMENTATIONS } from './codecs.ts';
import { compressFile } from './compress.ts';
import { realFs } from './fs.ts';
import { compressedName } from './names.ts';
import { makeTempDir } from './testing/tmpdir.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());

const content = Array.from(
  { length: 4000 },
  (_, i) => `line ${String(i).padStart(6, '0')} GET /a 200\n`,
).join('');

describe('every codec of the contract', () => {
  it.each(CODEC_NAMES)(
    '%s: a closed file becomes a compressed archive under its extension',
    async (codec) => {
      const dir = join(temp.dir, codec);
      mkdirSync(dir);
      writeFileSync(join(dir, 'app.log.1'), content);
      const outcome = await compressFile('app.log.1', compressedName('app.log.1', codec), {
        fs: realFs,
        dir,
        compression: codec,
        level: CODECS[codec].defaultLevel,
      });
      expect(outcome.target).toBe(`app.log.1${CODECS[codec].extension}`);
      const archive = readFileSync(join(dir, outcome.target));
      // Not the plain bytes under a compressed name.
      expect(archive.includes('line 000001')).toBe(false);
      expect(archive.length).toBeLessThan(content.length / 5);
      expect(CODEC_IMPLEMENTATIONS[codec].decode(archive).toString()).toBe(content);
    },
  );

  it.each(CODEC_NAMES)('%s: its encoder takes every level the contract accepts', async (codec) => {
    const { min, max } = CODECS[codec].levels;
    for (let level = min; level <= max; level++) {
      const chunks: Buffer[] = [];
      await pipeline(
        [Buffer.from(content)],
        CODEC_IMPLEMENTATIONS[codec].encoder(level),
        async (output: AsyncIterable<Buffer>) => {
          for await (const chunk of output) chunks.push(chunk);
        },
      );
      expect(CODEC_IMPLEMENTATIONS[codec].decode(Buffer.concat(chunks)).toString(), `level ${level}`).toBe(
        content,
      );
    }
  });
});
