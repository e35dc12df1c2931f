import { EXIT, exitCodeFor, UsageError } from '../base/errors.ts';
import type { Command, Io } from '../base/io.ts';
import { VERSION } from '../base/version.ts';

interface Subcommand {
  summary: string;
  load: () => Promise<Command>;
}

// Loaded lazily: `logward sidecar` should not pay for fastify and the Kubernetes client.
const SUBCOMMANDS: Record<string, Subcommand> = {
  webhook: {
    summary: 'serve the mutating and validating admission webhook over HTTPS',
    load: async () => (await import('../webhook/command.ts')).webhookCommand,
  },
  sidecar: {
    summary: 'keep a log directory under its budget: compress, cap and retain',
    load: async () => (await import('../sidecar/command.ts')).sidecarCommand,
  },
  demo: {
    summary: 'replay a node filling up with logs, without and then with Logward',
    load: async () => (await import('../demo/command.ts')).demoCommand,
  },
  inject: {
    summary: 'add the log volume and sidecar to manifests offline (for GitOps)',
    load: async () => (await import('../inject/command.ts')).injectCommand,
  },
  status: {
    summary: 'list opted-in workloads and pods: injected or why not, log usage, last rotation',
    load: async () => (await import('../status/command.ts')).statusCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(width)}  ${s.summary}`);
  return [
    'Usage: logward <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `logward <command> --help` for the flags of a command.',
    '  --version  print the version',
    '',
  ].join('\n');
}

/** The whole CLI as a function of its arguments: never touches `process`. */
export async function run(args: string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`logward ${VERSION}\n`);
    return EXIT.ok;
  }
  const subcommand = SUBCOMMANDS[name];
  try {
    if (!subcommand)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; use one of ${Object.keys(SUBCOMMANDS).join(', ')}`,
      );
    const command = await subcommand.load();
    return await command(rest, io);
  } catch (error) {
    io.stderr.write(
      `logward${subcommand ? ` ${name}` : ''}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitCodeFor(error);
  }
}
