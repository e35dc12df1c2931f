import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CODEC_NAMES, CODECS } from '../contract/codecs.ts';

// A concept that several places need is spelled in one file, and everything else imports it:
// read from the literals in the product's code (strings, templates, regular expressions), so
// a second spelling fails here instead of drifting. Comments may mention anything.

const ROOT = new URL('..', import.meta.url).pathname;
const PRODUCT = [
  'base',
  'contract',
  'inject',
  'kube',
  'sidecar',
  'webhook',
  'demo',
  'status',
  'cli',
  'deploy',
  'bench',
];

function isTestModule(file: string): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)testing(\.ts$|\/)/.test(file);
}

/** Every literal of every product module, with its file. */
function productLiterals(folders: readonly string[]): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  for (const folder of folders) {
    const files = readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .map((name) => posix.join(folder, name))
      .filter((file) => file.endsWith('.ts') && !isTestModule(file) && !file.includes('node_modules'));
    for (const file of files) {
      const source = ts.createSourceFile(
        file,
        readFileSync(join(ROOT, file), 'utf8'),
        ts.ScriptTarget.Latest,
      );
      const visit = (node: ts.Node) => {
        if (
          ts.isStringLiteral(node) ||
          ts.isNoSubstitutionTemplateLiteral(node) ||
          ts.isTemplateLiteralToken(node) ||
          ts.isRegularExpressionLiteral(node)
        ) {
          found.push({ file, text: node.text });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}

const literals = productLiterals(PRODUCT);

describe('one home per concept', () => {
  it('reads the literals it checks', () => {
    // A reader that found nothing would pass every rule below.
    expect(literals).toContainEqual({ file: 'contract/keys.ts', text: 'logward.io/max-age' });
  });

  it('no file but contract/keys.ts spells a logward.io/ name', () => {
    const elsewhere = literals
      .filter(({ file, text }) => text.includes('logward.io/') && file !== 'contract/keys.ts')
      .map(({ file, text }) => `${file}: ${JSON.stringify(text.slice(0, 80))}`);
    expect(elsewhere).toEqual([]);
  });

  it('no file but contract/codecs.ts spells a codec or its extension', () => {
    // bench/ is left out: it runs the peers (gzip, zstd, logrotate) under their own names.
    const words = CODEC_NAMES.flatMap((codec) => [codec, CODECS[codec].extension]);
    const spells = (text: string) =>
      words.some((word) => new RegExp(`(^|[^\\w-])${word.replace('.', '\\.')}(?![\\w-])`).test(text));
    const elsewhere = productLiterals(PRODUCT.filter((folder) => folder !== 'bench'))
      .filter(({ file, text }) => spells(text) && file !== 'contract/codecs.ts')
      .map(({ file, text }) => `${file}: ${JSON.stringify(text.slice(0, 80))}`);
    expect(elsewhere).toEqual([]);
  });
});
