/** Wrong flags or arguments: exit code 2, and the message says what the accepted form is. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Input that was read fine but is not acceptable (an invalid annotation, say): exit code 1. */
export class InputError extends Error {
  override name = 'InputError';
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? EXIT.usage : EXIT.failure;
}

/** `failed to X: cause`, keeping the cause for logs that print stacks. */
export function wrap(what: string, cause: unknown): Error {
  const reason =
    cause instanceof Error
      ? (((cause as NodeJS.ErrnoException).code ?? cause.message) as string)
      : String(cause);
  return new Error(`failed to ${what}: ${reason}`, { cause });
}
