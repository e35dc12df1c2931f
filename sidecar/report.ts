// Turns action results into log lines: one per action, with the fields a log pipeline filters
// on. The last-resort cap is an error: data was dropped to save the pod from eviction.
import type { ActionResult } from './execute.ts';
import type { Logger } from './log.ts';
import type { Action } from './types.ts';

export function logResult(logger: Logger, result: ActionResult): void {
  const { action } = result;
  const fields = { action: action.kind, file: action.file, reason: reasonOf(action) };
  if (!result.ok) {
    const level = result.code === 'ABORTED' ? 'warn' : 'error';
    logger.log(level, 'action_failed', { ...fields, code: result.code, error: result.error });
    return;
  }
  const { outcome } = result;
  switch (outcome.kind) {
    case 'removed':
      logger.log('info', action.kind === 'delete' ? 'deleted' : 'removed_leftover', {
        ...fields,
        bytes: 'bytes' in action ? action.bytes : undefined,
        vanished: outcome.vanished || undefined,
      });
      return;
    case 'compressed':
      logger.log('info', 'compressed', {
        ...fields,
        target: action.kind === 'compress' ? action.target : undefined,
        bytes: outcome.bytesIn,
        bytes_out: outcome.bytesOut,
        source_vanished: outcome.sourceVanished || undefined,
      });
      return;
    case 'capped': {
      const lastResort = action.kind === 'cap' && action.reason === 'over_hard_limit';
      logger.log(
        lastResort ? 'error' : outcome.method === 'truncate' ? 'warn' : 'info',
        lastResort ? 'last_resort_cap' : 'capped',
        {
          ...fields,
          method: outcome.method,
          bytes: outcome.removedBytes,
          rotated: outcome.rotated.length > 0 ? outcome.rotated : undefined,
          bytes_at_risk: outcome.bytesAtRisk || undefined,
          sparse: outcome.sparse || undefined,
        },
      );
    }
  }
}

function reasonOf(action: Action): string | undefined {
  return 'reason' in action ? action.reason : undefined;
}
