import { describe, expect, it } from 'vitest';
import { parseDownwardApi } from './annotations.ts';

describe('parseDownwardApi', () => {
  it('reads what kubelet writes: key="value" lines with Go %q escapes', () => {
    const text = [
      'kubernetes.io/config.seen="2021-01-04T10:00:00.000000000Z"',
      'logward.io/max-age="12h"',
      'logward.io/schedule="*/30 * * * * *"',
      'note="a \\"quoted\\" word\\nand a second line\\twith a tab \\\\ backslash"',
      'eq="x=y"',
      'accent="caf\\u00e9 and café"',
      'emoji="\\U0001f600"',
      'bytes="\\xc3\\xa9"',
      'bell="\\a\\v\\f\\r\\b"',
      '',
    ].join('\n');
    expect(parseDownwardApi(text)).toEqual({
      'kubernetes.io/config.seen': '2021-01-04T10:00:00.000000000Z',
      'logward.io/max-age': '12h',
      'logward.io/schedule': '*/30 * * * * *',
      note: 'a "quoted" word\nand a second line\twith a tab \\ backslash',
      eq: 'x=y',
      accent: 'café and café',
      emoji: '😀',
      bytes: 'é',
      bell: '\x07\x0b\x0c\r\b',
    });
  });

  it('reads an empty file as no annotations', () => {
    expect(parseDownwardApi('')).toEqual({});
  });

  it.each([
    ['no-equals', 'line 1: expected key="value", got "no-equals"'],
    ['k=unquoted', 'line 1: the value of k is not a quoted string'],
    ['k="bad \\q"', 'line 1: unknown escape \\q'],
    ['k="\\x4"', 'line 1: bad \\x escape'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDownwardApi(text)).toThrow(message);
  });
});
