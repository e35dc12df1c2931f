import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { memoryIo } from '../base/testing.ts';
import { run } from '../cli/run.ts';
import { KEYS } from '../contract/keys.ts';

const manifests = readFileSync(new URL('./fixtures/manifests.yaml', import.meta.url), 'utf8');

async function inject(stdin: string, ...args: string[]) {
  const io = memoryIo(stdin);
  const code = await run(['inject', '-f', '-', ...args], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS());

describe('logward inject', () => {
  it('injects opted-in workloads and passes every other document through as written', async () => {
    const { code, stdout } = await inject(manifests);
    expect(code).toBe(0);
    const [namespace, config, deployment, cronJob, statefulSet] = docs(stdout);
    const input = docs(manifests);
    expect([namespace, config, statefulSet]).toEqual([input[0], input[1], input[4]]);
    expect(stdout).toContain('name: going-config # referenced by the app');

    const pod = deployment.spec.template;
    expect(pod.metadata.annotations).toEqual({ [KEYS.status]: 'injected' });
    expect(pod.spec.initContainers[0]).toMatchObject({
      name: 'logward-sidecar',
      restartPolicy: 'Always',
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
    });
    expect(pod.spec.initContainers[0].args).toContain('--max-age=3d');
    expect(pod.spec.containers[0].volumeMounts).toEqual([{ name: 'logward-logs', mountPath: '/log' }]);

    const jobPod = cronJob.spec.jobTemplate.spec.template;
    expect(jobPod.spec.containers[0].volumeMounts).toEqual([
      { name: 'logward-logs', mountPath: '/var/log/report' },
    ]);
    expect(jobPod.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['logward-sidecar']);
  });

  it('leaves its own output unchanged', async () => {
    const once = await inject(manifests);
    const twice = await inject(once.stdout);
    expect(docs(twice.stdout)).toEqual(docs(once.stdout));
  });

  it('skips a Job in classic mode and says why', async () => {
    const { code, stdout, stderr } = await inject(manifests, '--sidecar-mode=classic');
    expect(code).toBe(0);
    expect(docs(stdout)[3]).toEqual(docs(manifests)[3]);
    expect(stderr).toContain(
      'CronJob shop/report left unchanged: the pod runs to completion and sidecars are classic containers here',
    );
  });

  it('injects a List of objects, as kubectl get -o yaml prints them', async () => {
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs(manifests) });
    const { code, stdout } = await inject(list);
    expect(code).toBe(0);
    const [result] = docs(stdout);
    expect(result.items[2].spec.template.metadata.annotations).toEqual({ [KEYS.status]: 'injected' });
  });

  it('exits 1 naming every invalid object and key, and writes no manifest', async () => {
    const bad = manifests
      .replace('logward.io/max-age: 3d', 'logward.io/max-age: 3days')
      .replace('/var/log/report', 'logs');
    const { code, stdout, stderr } = await inject(bad);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      [
        'logward inject: Deployment shop/going: logward.io/max-age: "3days" is not a duration; use e.g. 12h or 7d',
        'CronJob shop/report: logward.io/log-dir: "logs" is not an absolute path; use the directory the app logs into, e.g. /log or /var/log/app',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [[], '-f FILE is required (use -f - to read stdin)'],
    [['-f', '-', '--sidecar-mode=auto'], '--sidecar-mode: "auto" is not a mode; use native or classic'],
    [
      ['-f', '-', '--default-compress=lz4'],
      '--default-compress: "lz4" is not supported; use gzip, zstd or none',
    ],
  ])('exits 2 on usage errors: %j', async (args, message) => {
    const io = memoryIo('');
    expect(await run(['inject', ...args], io.io)).toBe(2);
    expect(io.stderr()).toBe(`logward inject: ${message}\n`);
  });

  it('exits 1 naming a file it cannot read, and a document that is not YAML', async () => {
    const io = memoryIo('');
    expect(await run(['inject', '-f', '/nonexistent/app.yaml'], io.io)).toBe(1);
    expect(io.stderr()).toBe('logward inject: failed to read "/nonexistent/app.yaml": ENOENT\n');
    const broken = await inject('a: [1, 2\n');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^logward inject: -: document 1 is not valid YAML: /);
  });

  it('injects a log-dirs workload as the webhook does: a volume and mount per directory, one --dir each', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        annotations: { [KEYS.inject]: 'true', [KEYS.logDirs]: '/var/log/nginx,/app/gc:size-limit=256Mi' },
      },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'example.com/web:1' }] },
        },
      },
    };
    const { code, stdout } = await inject(JSON.stringify(deployment));
    expect(code).toBe(0);
    const pod = docs(stdout)[0].spec.template;
    expect(pod.spec.volumes.slice(0, 2)).toEqual([
      { name: 'logward-logs', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'logward-logs-2', emptyDir: { sizeLimit: '256Mi' } },
    ]);
    expect(pod.spec.containers[0].volumeMounts).toEqual([
      { name: 'logward-logs', mountPath: '/var/log/nginx' },
      { name: 'logward-logs-2', mountPath: '/app/gc' },
    ]);
    expect(pod.spec.initContainers[0].args.filter((a: string) => a.startsWith('--dir'))).toEqual([
      '--dir=/var/logward/logs-1:app-dir=/var/log/nginx;volume-size-limit=1Gi',
      '--dir=/var/logward/logs-2:app-dir=/app/gc;volume-size-limit=256Mi;size-limit=256Mi',
    ]);

    const both = {
      ...deployment,
      metadata: {
        ...deployment.metadata,
        annotations: { ...deployment.metadata.annotations, [KEYS.logDir]: '/log' },
      },
    };
    const refused = await inject(JSON.stringify(both));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `logward inject: Deployment shop/web: ${KEYS.logDir} and ${KEYS.logDirs} are both set; use ${KEYS.logDir} for one directory or ${KEYS.logDirs} for several, not both\n`,
    );
  });
});

describe('logward inject with Namespaces', () => {
  const namespaceDoc = (name: string, annotations: Record<string, string>) =>
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  annotations:\n${Object.entries(
      annotations,
    )
      .map(([k, v]) => `    ${k}: "${v}"`)
      .join('\n')}\n`;
  const bareDeployment = (namespace?: string, annotations: Record<string, string> = {}) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', ...(namespace ? { namespace } : {}), annotations },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'web:1' }] },
        },
      },
    });
  const shop = {
    [KEYS.inject]: 'true',
    [KEYS.logDir]: '/var/log/web',
    [KEYS.sizeLimit]: '3Gi',
    [KEYS.maxAge]: '2d',
  };

  it("injects the objects its Namespace document opts in, with the namespace's defaults under their own", async () => {
    const { code, stdout } = await inject(
      `${namespaceDoc('shop', shop)}---\n${bareDeployment('shop', { [KEYS.maxAge]: '5d' })}\n`,
    );
    expect(code).toBe(0);
    const pod = docs(stdout)[1].spec.template;
    expect(pod.spec.volumes).toContainEqual({ name: 'logward-logs', emptyDir: { sizeLimit: '3Gi' } });
    expect(pod.spec.containers[0].volumeMounts).toEqual([
      { name: 'logward-logs', mountPath: '/var/log/web' },
    ]);
    // The workload's own max-age wins over its namespace's.
    expect(pod.spec.initContainers[0].args).toContain('--max-age=5d');
  });

  it('reads Namespaces from --namespace-file, and places objects that name none with -n', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logward-inject-ns-'));
    try {
      const file = join(dir, 'namespaces.yaml');
      writeFileSync(
        file,
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs(namespaceDoc('shop', shop)) }),
      );
      const unplaced = await inject(`${bareDeployment()}\n`, `--namespace-file=${file}`);
      expect(docs(unplaced.stdout)[0].spec.template.spec.initContainers).toBeUndefined();
      const placed = await inject(`${bareDeployment()}\n`, `--namespace-file=${file}`, '-n', 'shop');
      expect(placed.code).toBe(0);
      expect(docs(placed.stdout)[0].spec.template.spec.volumes).toContainEqual({
        name: 'logward-logs',
        emptyDir: { sizeLimit: '3Gi' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves an object its workload opts out, though its Namespace opts it in', async () => {
    const { code, stdout } = await inject(
      `${namespaceDoc('shop', shop)}---\n${bareDeployment('shop', { [KEYS.inject]: 'false' })}\n`,
    );
    expect(code).toBe(0);
    expect(docs(stdout)[1].spec.template.spec.initContainers).toBeUndefined();
  });

  it('exits 1 naming a Namespace whose annotation the webhook would refuse, and writes no manifest', async () => {
    const { code, stdout, stderr } = await inject(
      `${namespaceDoc('shop', { ...shop, [KEYS.maxAge]: '2 days' })}---\n${bareDeployment('shop')}\n`,
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      'Namespace shop: logward.io/max-age: "2 days" is not a duration; use e.g. 12h or 7d',
    );
  });
});
