import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_DEFAULTS, DEFAULTABLE_KEYS, KEYS, type Key, shortName } from '../../contract/keys.ts';
import { CHART } from './tools.ts';

// The chart's cluster defaults against the contract's table (contract/keys.ts): every key admins
// may default has exactly one value in values.yaml, which templates/deployment.yaml turns into
// the webhook's `--default-<key>` flag, and values.schema.json knows it, so a misspelt value
// is refused by `helm install`. Read from the files: no helm binary needed.

const valuesText = readFileSync(join(CHART, 'values.yaml'), 'utf8');
const values = parse(valuesText) as {
  defaults: Record<string, unknown>;
  sidecar: { resources: Record<string, Record<string, unknown>> };
};
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));

/** What sprig's kebabcase makes of the chart's camelCase names. */
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The `--default-<name>` flags the deployment template writes, by value path. */
function chartDefaultFlags(): Map<string, string> {
  const flags = new Map<string, string>();
  for (const name of Object.keys(values.defaults)) flags.set(`defaults.${name}`, kebab(name));
  // `--default-sidecar-<resource>-<kind without s>`: requests.cpu -> sidecar-cpu-request.
  for (const [kind, resources] of Object.entries(values.sidecar.resources)) {
    for (const resource of Object.keys(resources)) {
      flags.set(`sidecar.resources.${kind}.${resource}`, `sidecar-${resource}-${kind.replace(/s$/, '')}`);
    }
  }
  return flags;
}

/** The line values.yaml should have for a key in `defaults`, for the failure message. */
function expectedLine(key: Key): string {
  const name = Object.entries(KEYS).find(([, k]) => k === key)![0];
  const fallback = BUILTIN_DEFAULTS[key];
  return `  ${name}: "" # ${key}${fallback === undefined ? '' : ` (${fallback})`}`;
}

describe("the chart's defaults", () => {
  it('set every key the contract lets admins default, once, and nothing else', () => {
    const flags = [...chartDefaultFlags().values()];
    expect(new Set(flags).size).toBe(flags.length);
    const missing = DEFAULTABLE_KEYS.filter((key) => !flags.includes(shortName(key)));
    expect(missing.map(expectedLine), 'add to values.yaml (and values.schema.json)').toEqual([]);
    const unknown = flags.filter((flag) => !DEFAULTABLE_KEYS.some((key) => shortName(key) === flag));
    expect(unknown).toEqual([]);
  });

  it('are all in the schema, which refuses any other', () => {
    const defaults = schema.properties.defaults;
    expect(defaults.additionalProperties).toBe(false);
    expect(Object.keys(defaults.properties).sort()).toEqual(Object.keys(values.defaults).sort());
    const resources = schema.properties.sidecar.properties.resources;
    expect(resources.additionalProperties).toBe(false);
    for (const kind of Object.keys(values.sidecar.resources)) {
      const ref: string = resources.properties[kind].$ref;
      const definition = schema.definitions[ref.replace('#/definitions/', '')];
      expect(definition.additionalProperties).toBe(false);
      expect(Object.keys(definition.properties).sort()).toEqual(
        Object.keys(values.sidecar.resources[kind]!).sort(),
      );
    }
  });

  it("name each value's key, and its built-in default, in values.yaml", () => {
    const lines = valuesText.split('\n');
    for (const name of Object.keys(values.defaults)) {
      const key = DEFAULTABLE_KEYS.find((k) => shortName(k) === kebab(name))!;
      const line = lines.find((l) => l.startsWith(`  ${name}: `));
      expect(line, name).toMatch(new RegExp(`# ${key}(?= |$)`));
      const fallback = BUILTIN_DEFAULTS[key];
      if (fallback !== undefined) expect(line).toContain(`(${fallback})`);
    }
  });
});
