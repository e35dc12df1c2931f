// The globs of `logward.io/include` and `logward.io/exclude`: which files in the log directory
// are logs. Matched against names relative to the directory, `/`-separated. A pattern without
// `/` matches a name in any subdirectory by its last component (as in .gitignore), so `*.log`
// covers `worker/app.log`; one with `/` matches the whole relative name. `*` and `?` never
// cross `/`, `**` does, `[...]` is a class (`[!...]` negated). Braces are not special: commas
// separate patterns.

export type GlobList = readonly string[];

export type GlobParse = { ok: true; patterns: string[] } | { ok: false; reason: string };

/** Splits and checks a comma list; the reason names the offending pattern. */
export function parseGlobList(text: string): GlobParse {
  const patterns = text.split(',').map((pattern) => pattern.trim());
  for (const pattern of patterns) {
    if (pattern === '') return { ok: false, reason: 'has an empty pattern' };
    if (pattern.startsWith('/')) return { ok: false, reason: `${JSON.stringify(pattern)} is absolute` };
    if (pattern.split('/').includes('..') || pattern.includes('\0')) {
      return { ok: false, reason: `${JSON.stringify(pattern)} leaves the log directory` };
    }
    if (toRegExpSource(pattern) === undefined) {
      return { ok: false, reason: `${JSON.stringify(pattern)} has an unclosed [` };
    }
  }
  return { ok: true, patterns };
}

/** One predicate for a list of patterns (already checked by parseGlobList). */
export function compileGlobs(patterns: GlobList): (name: string) => boolean {
  const whole: string[] = [];
  const last: string[] = [];
  for (const pattern of patterns) {
    const source = toRegExpSource(pattern);
    if (source === undefined) continue;
    (pattern.includes('/') ? whole : last).push(source);
  }
  const wholeRe = whole.length > 0 ? new RegExp(`^(?:${whole.join('|')})$`, 's') : undefined;
  const lastRe = last.length > 0 ? new RegExp(`^(?:${last.join('|')})$`, 's') : undefined;
  return (name) => {
    if (wholeRe?.test(name)) return true;
    if (!lastRe) return false;
    const slash = name.lastIndexOf('/');
    return lastRe.test(slash === -1 ? name : name.slice(slash + 1));
  };
}

function toRegExpSource(pattern: string): string | undefined {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` also matches no directory at all: `logs/**/a.log` covers `logs/a.log`.
        if (pattern[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) return undefined;
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else {
      out += char.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return out;
}
