// Just enough of the Dockerfile grammar to read what a stage copies and runs: no Docker engine
// runs here, so tests replay a runtime stage by hand from what the Dockerfile says.

export interface Instruction {
  keyword: string;
  args: string;
  /** RUN's leading options (`--mount=type=secret,id=npmrc,...`), kept out of `args`. */
  flags?: string[];
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The stages, with `FROM ${ARG}` resolved to the ARG's default (ARGs before the first FROM). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const globalArgs = new Map<string, string>();
  const logical = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of logical) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [word = '', ...rest] = line.split(/\s+/);
    const keyword = word.toUpperCase();
    let args = rest.join(' ');
    if (keyword === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = args.split('=');
      globalArgs.set(name, value);
    } else if (keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      const from = (match?.[1] ?? args).replace(/\$\{(\w+)\}|\$(\w+)/g, (ref, braced, bare) => {
        const value = globalArgs.get(braced ?? bare);
        if (value === undefined) throw new Error(`FROM ${args}: ${ref} is not an ARG with a default`);
        return value;
      });
      stages.push({ from, name: match?.[2] ?? String(stages.length), instructions: [] });
    } else {
      const flags: string[] = [];
      if (keyword === 'RUN') {
        while (args.startsWith('--')) {
          const [flag = '', ...remaining] = args.split(/\s+/);
          flags.push(flag);
          args = remaining.join(' ');
        }
      }
      stages.at(-1)?.instructions.push({ keyword, args, ...(flags.length > 0 ? { flags } : {}) });
    }
  }
  return stages;
}

export interface Copy {
  from: string | undefined;
  source: string;
  destination: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const [source = '', destination = ''] = parts.filter((p) => !p.startsWith('--'));
      return { from, source, destination };
    });
}

/** The exec-form JSON array of ENTRYPOINT or CMD. */
export function execForm(stage: Stage, keyword: 'ENTRYPOINT' | 'CMD'): string[] {
  const instruction = stage.instructions.findLast((i) => i.keyword === keyword);
  return instruction ? (JSON.parse(instruction.args) as string[]) : [];
}
