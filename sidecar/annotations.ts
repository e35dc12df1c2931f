// Reads the pod's annotations from a downward API file. Kubernetes writes one `key="value"` per
// line, the value quoted by Go's %q (fieldpath.FormatMap), so values may hold \n, \", \\, \t,
// \xHH (bytes), \uHHHH and \UHHHHHHHH escapes. JSON.parse would reject \x and \U, so the
// quoted part is unescaped here, byte by byte.
export function parseDownwardApi(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`line ${index + 1}: expected key="value", got ${JSON.stringify(line)}`);
    const key = line.slice(0, eq);
    const quoted = line.slice(eq + 1);
    if (!quoted.startsWith('"') || !quoted.endsWith('"') || quoted.length < 2) {
      throw new Error(`line ${index + 1}: the value of ${key} is not a quoted string`);
    }
    result[key] = unquote(quoted.slice(1, -1), index + 1);
  }
  return result;
}

const SIMPLE: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
};

function unquote(body: string, line: number): string {
  const bytes: number[] = [];
  const pushText = (text: string) => bytes.push(...Buffer.from(text, 'utf8'));
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char !== '\\') {
      const code = body.codePointAt(i)!;
      pushText(String.fromCodePoint(code));
      if (code > 0xffff) i++;
      continue;
    }
    const kind = body[++i];
    if (kind !== undefined && kind in SIMPLE) {
      bytes.push(SIMPLE[kind]!);
    } else if (kind === 'x' || kind === 'u' || kind === 'U') {
      const length = kind === 'x' ? 2 : kind === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + length);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length)
        throw new Error(`line ${line}: bad \\${kind} escape`);
      const value = Number.parseInt(hex, 16);
      if (kind === 'x') bytes.push(value);
      else pushText(String.fromCodePoint(value));
      i += length;
    } else if (kind !== undefined && /[0-7]/.test(kind)) {
      const octal = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(octal)) throw new Error(`line ${line}: bad octal escape`);
      bytes.push(Number.parseInt(octal, 8));
      i += 2;
    } else {
      throw new Error(`line ${line}: unknown escape \\${kind ?? ''}`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
