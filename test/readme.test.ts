import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE, ROWS } from '../contract/keys.ts';
import { KIND_FORMS } from '../contract/kinds.ts';
import { SKIP_REASONS } from '../inject/reasons.ts';
import { helpText as sidecarHelp } from '../sidecar/flags.ts';
import { createMetrics as createSidecarMetrics } from '../sidecar/metrics.ts';
import { grantCommand } from '../status/forbidden.ts';
import { webhookHelp } from '../webhook/command.ts';
import { createWebhookMetrics } from '../webhook/metrics.ts';
import { find, readManifests } from './deploy/tools.ts';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');

/** The fenced `sh` block that follows a heading. */
function shellBlockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no sh block after ${heading}`);
  return match[1]!;
}

/** The lines of the Markdown table whose header line is `header`, up to the first line that is not a row. */
function tableAt(header: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  if (start === -1) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start, end === -1 ? undefined : end);
}

describe('README', () => {
  it('gives a new user the two commands, and CI runs the same test command', () => {
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    expect(
      shellBlockAfter('## Quick start')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean),
    ).toEqual(['npm ci', 'npx logward demo']);
    expect(/```sh\nnpm test\n```/.test(quickStart)).toBe(true);
    const ci = readFileSync(`${root}.ci/run`, 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it('documents every annotation with its meaning, default and example', () => {
    for (const ref of REFERENCE) {
      expect(readme).toContain(`| \`${ref.key}\` | ${ref.meaning} | ${ref.default} | \`${ref.example}\` |`);
    }
  });

  it("lists the annotations row for row as the contract's table has them", () => {
    const expected = [
      '| key | meaning | default | example | kind | read by | cluster default |',
      '|---|---|---|---|---|---|---|',
      ...ROWS.map(
        (row, i) =>
          `| \`${row.key}\` | ${row.meaning} | ${REFERENCE[i]!.default} | \`${row.example}\` | ${row.kind} | ${row.readBy.join(', ')} | ${row.defaultable ? 'yes' : 'no'} |`,
      ),
    ];
    expect(tableAt(expected[0]!)).toEqual(expected);
  });

  it('says what each kind of value accepts, as the contract does', () => {
    const expected = [
      '| kind | accepted form |',
      '|---|---|',
      ...Object.entries(KIND_FORMS).map(([kind, form]) => `| ${kind} | ${form} |`),
    ];
    expect(tableAt(expected[0]!)).toEqual(expected);
  });

  it('documents every flag of the webhook and the sidecar', () => {
    const flags = (text: string) => [...new Set([...text.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]))];
    const missing = [...flags(webhookHelp()), ...flags(sidecarHelp())].filter(
      (flag) =>
        !readme.includes(flag) &&
        !(flag.startsWith('--default-') && readme.includes('--default-<key>')) &&
        !(
          // Policy flags are named like their annotations, which the table lists.
          REFERENCE.some((r) => r.key === `logward.io/${flag.slice(2).replace(/^no-/, '')}`)
        ),
    );
    expect(missing).toEqual([]);
  });

  it('documents every metric both halves export', async () => {
    const names = [
      ...(await createWebhookMetrics().registry.getMetricsAsJSON()),
      ...(await createSidecarMetrics().registry.families()),
    ]
      .map((m) => m.name)
      .filter((name) => name.startsWith('logward_'));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !readme.includes(name))).toEqual([]);
  });

  it('explains each rule of the ClusterRole logward-status, and grants it with the commands logward status prints', () => {
    const role = find(readManifests(`${root}deploy/install.yaml`), 'ClusterRole', 'logward-status');
    const rows = tableAt('| rule | why |').slice(2);
    const spelt = (rule: { verbs: string[]; resources: string[]; resourceNames?: string[] }) => [
      ...rule.verbs.map((verb) => `\`${verb}\``),
      ...rule.resources,
      ...(rule.resourceNames ?? []).map((name) => `\`${name}\``),
    ];
    for (const rule of role.rules) {
      expect(
        rows.some((row) => spelt(rule).every((word) => row.split('|')[1]!.includes(word))),
        JSON.stringify(rule),
      ).toBe(true);
    }
    expect(rows.length).toBeGreaterThan(0);
    const commands = shellBlockAfter('### Let people run `logward status` (optional)')
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim());
    expect(commands).toEqual([
      grantCommand('shop', 'jane@example.com'),
      grantCommand('logward-system', 'jane@example.com'),
      '',
    ]);
    const clusterWide = readme.slice(readme.indexOf('For `logward status -A`, one ClusterRoleBinding'));
    expect(
      /```sh\n([\s\S]*?)```/
        .exec(clusterWide)![1]!
        .replace(/\\\n\s*/g, '')
        .trim(),
    ).toBe(grantCommand(undefined, 'jane@example.com'));
  });

  it('lists every reason the webhook leaves a pod alone for, as its metric counts them', () => {
    const line = readme.split('\n').find((l) => l.startsWith('| `logward_webhook_skips_total{reason}` |'));
    const listed = [...(line ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SKIP_REASONS).sort());
  });

  it('"Try the webhook by hand" works as written', async () => {
    const script = shellBlockAfter('## Try the webhook by hand');
    const dir = await mkdtemp(join(tmpdir(), 'logward-readme-'));
    // A scratch directory where `npx logward` finds this checkout's bin, as it does in a clone.
    await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true });
    await symlink(join(root, 'cli', 'logward.ts'), join(dir, 'node_modules', '.bin', 'logward'));
    await symlink(join(root, 'webhook'), join(dir, 'webhook'));
    await writeFile(join(dir, 'package.json'), '{"private": true}');
    // Its own process group, so nothing it started in the background can outlive the test.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 45_000);
    try {
      const [code] = await once(child, 'exit');
      expect({ code, stderr: code === 0 ? '' : Buffer.concat(err).toString() }).toEqual({
        code: 0,
        stderr: '',
      });
      const stdout = Buffer.concat(out).toString();
      // curl's answer is one line among the webhook's JSON log lines.
      const answer = stdout.slice(stdout.indexOf('{"apiVersion":"admission.k8s.io/v1"')).split('\n')[0]!;
      const review = JSON.parse(answer);
      expect(review.response).toMatchObject({
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        allowed: true,
        patchType: 'JSONPatch',
      });
    } finally {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
