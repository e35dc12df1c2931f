import type { Operation } from 'fast-json-patch';
import {
  Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  Scalar,
  type Tags,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

// `logward inject` edits manifests people commit, and Kubernetes reads them with go-yaml v2 (YAML
// 1.1: `on` and `yes` are booleans, `0644` is octal). Re-serialising a document would lose its
// comments and layout, and could change what Kubernetes reads from values it never meant to
// touch. So the source text is kept as it is and the mutation is spliced in: each operation of
// the patch becomes an insertion (or, for a scalar it replaces, a replacement of that scalar's
// text), and every scalar written is quoted wherever any YAML reader could take it for anything
// but a string.

/**
 * The schema Kubernetes reads manifests with: YAML 1.1 as go-yaml v2 implements it, which
 * leaves timestamps as strings (for untyped targets) and has no base-60 numbers.
 */
export const KUBERNETES_YAML = {
  version: '1.1',
  customTags: (tags: Tags) =>
    tags.filter((tag) => {
      if (typeof tag === 'string') return !['timestamp', 'intTime', 'floatTime'].includes(tag);
      return !(tag.tag === 'tag:yaml.org,2002:timestamp' || ('format' in tag && tag.format === 'TIME'));
    }),
} as const;

export interface Splice {
  start: number;
  end: number;
  text: string;
  /** Path depth of the operation: at one offset, deeper insertions go first. */
  depth: number;
}

export class SpliceError extends Error {
  override name = 'SpliceError';
}

/**
 * The text edits that make `document` (parsed from `source`, offsets into `source`) say what
 * `operations` do to its value. Operations are those `fast-json-patch` `compare` emits for an
 * append-only mutation: `add` of a new key or of an element at the end of a sequence, and
 * `replace` of a scalar.
 */
export function splicesFor(
  source: string,
  document: { contents: unknown },
  operations: readonly Operation[],
): Splice[] {
  const style = { indentSeq: sequencesIndented(source, document.contents as Node) };
  return operations.map((op) => {
    const path = op.path.split('/').slice(1).map(unescapePointer);
    const depth = path.length;
    if (op.op === 'replace') {
      const target = nodeAt(document.contents as Node, path);
      if (!isScalar(target)) throw new SpliceError(`cannot replace ${op.path}: it is not a scalar`);
      return { ...replaceScalar(source, target, op.value, path, document.contents as Node, style), depth };
    }
    if (op.op !== 'add') throw new SpliceError(`cannot apply a ${op.op} operation to a manifest`);
    const parent = nodeAt(document.contents as Node, path.slice(0, -1));
    const key = path[path.length - 1]!;
    if (isMap(parent)) return { ...addToMap(source, parent, key, op.value, style), depth };
    if (isSeq(parent)) {
      if (Number(key) !== parent.items.length && key !== '-') {
        throw new SpliceError(`cannot insert at ${op.path}: only appending is supported`);
      }
      return { ...appendToSeq(source, parent, op.value, style), depth };
    }
    throw new SpliceError(`cannot add ${op.path}: its parent is not a mapping or a sequence`);
  });
}

/** `source` with `splices` applied; at one offset, deeper paths first, then in order given. */
export function applySplices(source: string, splices: readonly Splice[]): string {
  const ordered = splices
    .map((splice, index) => ({ splice, index }))
    .sort((a, b) => a.splice.start - b.splice.start || b.splice.depth - a.splice.depth || a.index - b.index);
  let out = '';
  let at = 0;
  for (const { splice } of ordered) {
    if (splice.start < at) throw new SpliceError('overlapping edits');
    out += source.slice(at, splice.start) + splice.text;
    at = splice.end;
  }
  return out + source.slice(at);
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The node at `path`; aliases are refused, since editing one would edit what it points at. */
function nodeAt(root: Node, path: readonly string[]): Node {
  let node: unknown = root;
  for (const [depth, segment] of path.entries()) {
    const where = `/${path.slice(0, depth + 1).join('/')}`;
    if (isAlias(node))
      throw new SpliceError(`${where} goes through a YAML alias; expand it so Logward can edit there`);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) throw new SpliceError(`${where} is not written in the document (a merge key?)`);
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      if (node === undefined) throw new SpliceError(`${where} is not in the document`);
    } else {
      throw new SpliceError(`${where} is not in a mapping or a sequence`);
    }
  }
  if (isAlias(node))
    throw new SpliceError(`/${path.join('/')} is a YAML alias; expand it so Logward can edit there`);
  return node as Node;
}

interface Style {
  indentSeq: boolean;
}

function addToMap(source: string, map: YAMLMap, key: string, value: unknown, style: Style) {
  if (map.flow)
    return insertIntoFlow(source, map, `${render(key, { flow: true })}: ${render(value, { flow: true })}`);
  const first = map.items[0];
  const column = columnOf(source, rangeOf(first?.key)[0]);
  return insertLines(source, map, indent(render({ [key]: value }, style), column));
}

function appendToSeq(source: string, seq: YAMLSeq, value: unknown, style: Style) {
  if (seq.flow) return insertIntoFlow(source, seq, render(value, { flow: true }));
  return insertLines(source, seq, indent(render([value], style), columnOf(source, rangeOf(seq)[0])));
}

/** Whole lines after the collection's last line, and after any comment that ends that line. */
function insertLines(source: string, collection: YAMLMap | YAMLSeq, lines: string) {
  let end = rangeOf(collection)[1];
  if (end > 0 && source[end - 1] !== '\n') {
    const newline = source.indexOf('\n', end);
    end = newline === -1 ? source.length : newline + 1;
  }
  const text = end > 0 && source[end - 1] !== '\n' ? `\n${lines}` : lines;
  return { start: end, end, text };
}

/** Before the closing bracket of `{...}` or `[...]`, after a comma if it has items. */
function insertIntoFlow(source: string, collection: YAMLMap | YAMLSeq, item: string) {
  let close = rangeOf(collection)[1] - 1;
  while (close > 0 && source[close] !== '}' && source[close] !== ']') close--;
  const text = collection.items.length > 0 ? `, ${item}` : item;
  return { start: close, end: close, text };
}

/** A scalar's text replaced: an empty value (`key:`) by a block below it, anything else in place. */
function replaceScalar(
  source: string,
  scalar: Scalar,
  value: unknown,
  path: readonly string[],
  root: Node,
  style: Style,
) {
  const [start, end] = rangeOf(scalar);
  if (start === end && value !== null && typeof value === 'object') {
    const parent = nodeAt(root, path.slice(0, -1));
    const pair = isMap(parent) ? parent.items.find((p) => p.value === scalar) : undefined;
    const column = columnOf(source, rangeOf(pair?.key)[0]) + 2;
    return { start, end, text: `\n${indent(render(value, style), column).replace(/\n$/, '')}` };
  }
  return { start, end, text: render(value, { flow: true }) };
}

/**
 * YAML for `value`, every string that any reader could take for something else quoted: a 1.1
 * reader's booleans and octals, a 1.2 reader's numbers, go-yaml's `0o`/`0x`/`0b` integers.
 */
function render(value: unknown, options: { flow?: boolean; indentSeq?: boolean }): string {
  const document = new Document(value, { version: '1.1' });
  visit(document, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && ambiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
    Map(_, node) {
      if (options.flow) node.flow = true;
    },
    Seq(_, node) {
      if (options.flow) node.flow = true;
    },
  });
  const text = document.toString({ lineWidth: 0, indentSeq: options.indentSeq ?? true });
  return options.flow ? text.replace(/\n$/, '') : text;
}

/** Plain scalars go-yaml v2 reads as numbers or times (its resolve(), with Go's ParseInt base 0). */
const GO_YAML_NOT_STRING = [
  /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^\d{4}-\d{1,2}-\d{1,2}/,
];

function ambiguous(text: string): boolean {
  const plain = text.replace(/_/g, '');
  if (text === '<<' || GO_YAML_NOT_STRING.some((pattern) => pattern.test(plain))) return true;
  for (const version of ['1.1', '1.2'] as const) {
    const read = parseDocument(text, { version }).contents;
    if (!isScalar(read) || read.value !== text) return true;
  }
  return false;
}

function indent(text: string, column: number): string {
  const pad = ' '.repeat(column);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf('\n', offset - 1) + 1);
}

function rangeOf(node: unknown): [number, number] {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (!range) throw new SpliceError('a node without a position in the source');
  return [range[0], range[1]];
}

/**
 * Whether the document indents a block sequence under its key (`key:\n  - a`) rather than not
 * (`key:\n- a`); new sequences follow the first one found. Indented when there is none.
 */
function sequencesIndented(source: string, root: Node): boolean {
  let found: boolean | undefined;
  visit(root, {
    Pair(_, pair) {
      if (found !== undefined) return visit.BREAK;
      if (isPair(pair) && isSeq(pair.value) && !pair.value.flow && isCollection(pair.value)) {
        found = columnOf(source, rangeOf(pair.value)[0]) > columnOf(source, rangeOf(pair.key)[0]);
      }
      return undefined;
    },
  });
  return found ?? true;
}
