import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { applySplices, KUBERNETES_YAML, splicesFor } from './yaml-splice.ts';

function splice(source: string, ...operations: Operation[]): string {
  return applySplices(source, splicesFor(source, parseDocument(source, KUBERNETES_YAML), operations));
}

describe('splicing a patch into YAML text', () => {
  it.each([
    ['a key at the end of a file without a final newline', 'a:\n  b: 1', 'a:\n  b: 1\n  c: 2\n'],
    [
      'a key after a line that ends with a comment',
      'a:\n  b: 1 # one\nd: 4\n',
      'a:\n  b: 1 # one\n  c: 2\nd: 4\n',
    ],
    ['a key into a flow mapping', 'a: {b: 1}\n', 'a: {b: 1, c: 2}\n'],
    ['a key into an empty flow mapping', 'a: {}\n', 'a: {c: 2}\n'],
  ])('adds %s', (_name, source, expected) => {
    expect(splice(source, { op: 'add', path: '/a/c', value: 2 })).toBe(expected);
  });

  it('appends to compact and indented sequences in their own style', () => {
    expect(splice('l:\n- a\nm: 1\n', { op: 'add', path: '/l/1', value: 'b' })).toBe('l:\n- a\n- b\nm: 1\n');
    expect(splice('l:\n  - a\n', { op: 'add', path: '/l/1', value: { name: 'on' } })).toBe(
      'l:\n  - a\n  - name: "on"\n',
    );
    expect(splice('l: [a]\n', { op: 'add', path: '/l/1', value: 'yes' })).toBe('l: [a, "yes"]\n');
  });

  it('writes a mapping under a key left empty, and a scalar in place', () => {
    expect(splice('a:\nb: 1\n', { op: 'replace', path: '/a', value: { c: '0644' } })).toBe(
      'a:\n  c: "0644"\nb: 1\n',
    );
    expect(splice('a: pending # ours\n', { op: 'replace', path: '/a', value: 'injected' })).toBe(
      'a: injected # ours\n',
    );
  });

  it('refuses to edit through an alias, which would change what it points at', () => {
    expect(() => splice('base: &b {x: 1}\nuse: *b\n', { op: 'add', path: '/use/y', value: 1 })).toThrow(
      '/use is a YAML alias; expand it so Logward can edit there',
    );
  });
});
