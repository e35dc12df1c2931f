import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYS, STATUS_INJECTED } from '../../contract/keys.ts';
import { restrictedViolations } from './pod-security.ts';
import { DEPLOY, type Manifest, parseManifests, ROOT, readManifests, runTool } from './tools.ts';

// deploy/examples: each file goes through `logward inject` (the webhook's mutation, offline)
// and comes out with the sidecar, still Pod Security "restricted".

const EXAMPLES = join(DEPLOY, 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

const templateOf = (object: Manifest): Manifest => (object.kind === 'Pod' ? object : object.spec.template);

describe('deploy/examples', () => {
  it('holds the incident app and a workload-level opt-in', () => {
    expect(files).toEqual(expect.arrayContaining(['going.yaml', 'workload-opt-in.yaml']));
  });

  it.each(files)('%s is opted in and restricted as written', (file) => {
    const objects = readManifests(join(EXAMPLES, file));
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      const template = templateOf(object);
      const optIn =
        template.metadata?.annotations?.[KEYS.inject] ?? object.metadata?.annotations?.[KEYS.inject];
      expect(optIn, `${object.kind} ${object.metadata.name}`).toBe('true');
      expect(restrictedViolations(template.spec)).toEqual([]);
    }
  });

  it.each(files)('%s gets the sidecar from `logward inject -f`', { timeout: 60_000 }, async (file) => {
    const result = await runTool(process.execPath, [
      join(ROOT, 'cli', 'logward.ts'),
      'inject',
      '-f',
      join(EXAMPLES, file),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const injected = parseManifests(result.stdout);
    expect(injected.length).toBe(readManifests(join(EXAMPLES, file)).length);
    for (const object of injected) {
      const template = templateOf(object);
      expect(template.metadata.annotations[KEYS.status]).toBe(STATUS_INJECTED);
      const names = [...(template.spec.initContainers ?? []), ...template.spec.containers].map(
        (c: Manifest) => c.name,
      );
      expect(names).toContain('logward-sidecar');
      // The injected sidecar keeps the pod admissible in a restricted namespace.
      expect(restrictedViolations(template.spec)).toEqual([]);
    }
  });

  it('the incident app writes going.YYYY-MM-DD.log and stat.log into /log', () => {
    const [going] = readManifests(join(EXAMPLES, 'going.yaml'));
    const template = going!.spec.template;
    expect(template.metadata.annotations[KEYS.logDir]).toBe('/log');
    expect(template.metadata.annotations[KEYS.sizeLimit]).toBeDefined();
    expect(template.spec.securityContext.runAsUser).toBe(1000);
    const script = template.spec.containers[0].args.join('\n');
    expect(script).toContain('/log/going.$(date +%F).log');
    expect(script).toContain('/log/stat.log');
  });

  it('the workload-level example sets its annotations on the Deployment only', () => {
    const [deployment] = readManifests(join(EXAMPLES, 'workload-opt-in.yaml'));
    expect(deployment!.metadata.annotations[KEYS.inject]).toBe('true');
    expect(deployment!.spec.template.metadata.annotations).toBeUndefined();
  });
});
