import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../base/testing.ts';
import { run } from '../cli/run.ts';
import { BUILD_TIMEOUT_MS, buildTool, runOk } from '../test/deploy/tools.ts';
import { clusterContext } from './cluster-context.ts';
import { injectObject } from './inject-object.ts';
import { defaultInjection } from './injection-flags.ts';
import type { KubeObject } from './workloads.ts';

// `logward inject` against Kubernetes' own YAML reader (sigs.k8s.io/yaml, in kubecheck): what
// Kubernetes reads from the output is what it reads from the input with the webhook's mutation
// applied, value for value, and the input's text is all still there.

const input = readFileSync(new URL('./fixtures/tricky-manifests.yaml', import.meta.url), 'utf8');

/** What `logward inject` uses when given no flags. */
const cluster = clusterContext({ ...defaultInjection(), mode: 'native' });

let kubecheck: string;
beforeAll(async () => {
  kubecheck = await buildTool('kubecheck');
}, BUILD_TIMEOUT_MS);

/** The documents of a YAML stream as Kubernetes reads them. */
async function kubernetesReads(yaml: string): Promise<KubeObject[]> {
  return (JSON.parse(await runOk(kubecheck, ['yaml-to-json'], yaml)) as (KubeObject | null)[]).filter(
    (document) => document !== null,
  );
}

async function inject(stdin: string) {
  const io = memoryIo(stdin);
  const code = await run(['inject', '-f', '-'], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** Whether every line of `inner` appears in `outer`, in order. */
function isSubsequence(inner: string[], outer: string[]): boolean {
  let at = 0;
  for (const line of inner) {
    at = outer.indexOf(line, at);
    if (at === -1) return false;
    at++;
  }
  return true;
}

describe('logward inject, read as Kubernetes reads YAML', () => {
  it('gives Kubernetes the webhook mutation of what it reads from the input, and nothing else', async () => {
    const { code, stdout } = await inject(input);
    expect(code).toBe(0);
    const expected = (await kubernetesReads(input)).map((object) => {
      const outcome = injectObject(object, cluster);
      return outcome.kind === 'injected' ? outcome.object : object;
    });
    const injected = expected.filter((_, i) => i > 0).length;
    expect(injected).toBe(3);
    expect(await kubernetesReads(stdout)).toEqual(expected);
  });

  it('keeps every line it did not have to change, comments and layout included', async () => {
    const { stdout } = await inject(input);
    // The lines the mutation has to change: a logward.io/status it now owns, and flow
    // collections it adds to, which keep their text up to the closing bracket.
    const replaced = '            logward.io/status: pending';
    const flow = [
      '        emptyDir: {}',
      '  annotations: {logward.io/inject: "true", logward.io/log-dir: /var/log/bare}',
      '  containers: [{name: app, image: "registry.example.com/bare:1", args: ["on", "0644"]}]',
      '          initContainers: []',
    ];
    const lines = input.split('\n');
    expect(lines).toEqual(expect.arrayContaining([replaced, ...flow]));
    const output = stdout.split('\n');
    expect(
      isSubsequence(
        lines.filter((line) => line !== replaced && !flow.includes(line)),
        output,
      ),
    ).toBe(true);
    expect(output).toContain('            logward.io/status: injected');
    for (const line of flow) {
      const open = line.replace(/[}\]]+$/, '');
      expect(output.some((out) => out.startsWith(open) && out.length > line.length)).toBe(true);
    }
  });

  it('quotes what it writes wherever a YAML 1.1 reader would take it for a boolean or a number', async () => {
    const { stdout } = await inject(input);
    // The adopted volume's name and subPath, copied into the sidecar's mount.
    expect(stdout).toContain(
      '        - name: "yes"\n          mountPath: /var/logward/logs\n          subPath: "0644"\n',
    );
    expect(stdout).toContain('cpu: "1"');
  });
});
