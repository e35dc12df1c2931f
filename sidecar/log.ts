// JSON logs, one object per line on stderr: fields (`file`, `action`, `reason`, `bytes`) rather
// than sentences with values glued in, so a log pipeline can count and filter them.
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface Logger {
  log(level: Level, msg: string, fields?: Fields): void;
}

export function createLogger(out: { write(text: string): unknown }, now: () => number = Date.now): Logger {
  return {
    log(level, msg, fields = {}) {
      const entry: Fields = { time: new Date(now()).toISOString(), level, msg };
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) entry[key] = value instanceof Error ? value.message : value;
      }
      out.write(`${JSON.stringify(entry)}\n`);
    },
  };
}
