// An unknown `logward.io/` key is ignored, with a warning that suggests the closest real key:
// a misspelt key otherwise looks like a setting that silently does nothing.
import { ALL_KEYS, isOurKey, PREFIX } from './keys.ts';

// Suggestions cost an edit distance against every key: a pod with thousands of unknown keys
// (the API server allows 256 KiB of annotations) would spend seconds of CPU on them. The first
// few get one; the rest are counted.
const SUGGESTED_UNKNOWN_KEYS = 5;

/** One warning per unknown `logward.io/` key (the first few with the closest real key), then a count. */
export function unknownKeyWarnings(raw: Readonly<Record<string, string | undefined>>): string[] {
  const warnings: string[] = [];
  let unsuggested = 0;
  for (const name of Object.keys(raw)) {
    if (!isOurKey(name) || (ALL_KEYS as readonly string[]).includes(name)) continue;
    if (warnings.length >= SUGGESTED_UNKNOWN_KEYS) {
      unsuggested++;
      continue;
    }
    const hint = closestKey(name);
    warnings.push(
      `${name} is not a Logward annotation and is ignored${hint ? `; did you mean ${hint}?` : ''}`,
    );
  }
  if (unsuggested > 0) {
    warnings.push(`${unsuggested} more ${PREFIX} annotations are not Logward's and are ignored`);
  }
  return warnings;
}

function closestKey(name: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of ALL_KEYS) {
    // Lengths further apart than the distance allowed cannot be within it.
    if (Math.abs(key.length - name.length) > 3) continue;
    const distance = editDistance(name, key);
    if (distance <= 3 && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
