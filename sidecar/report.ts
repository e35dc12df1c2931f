// Turns action results into log lines: one per action, with the fields a log pipeline filters
// on. The last-resort cap is an error: data was dropped to save the pod from eviction.
import { KEYS } from '../contract/keys.ts';
import type { ActionResult } from './execute.ts';
import type { Logger } from './log.ts';
import type { Action } from './types.ts';

export function logResult(logger: Logger, result: ActionResult): void {
  const { action } = result;
  const fields = { action: action.kind, file: action.file, reason: reasonOf(action) };
  if (!result.ok) {
    const level = result.code === 'ABORTED' ? 'warn' : 'error';
    logger.log(level, 'action_failed', {
      ...fields,
      code: result.code,
      error: result.error,
      hint: hintFor(result),
    });
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
    case 'emptied':
      // Retention of a file an app may still hold: its content went, its name stays for now.
      logger.log('info', 'deleted', {
        ...fields,
        bytes: 'bytes' in action ? action.bytes : undefined,
        method: 'emptied',
      });
      return;
    case 'compressed':
      logger.log('info', 'compressed', {
        ...fields,
        target: outcome.target,
        bytes: outcome.bytesIn,
        bytes_out: outcome.bytesOut,
        source: outcome.source,
      });
      return;
    case 'capped': {
      if (outcome.abandoned) {
        // The app truncated or replaced its file while we worked: nothing of its is touched.
        logger.log('warn', 'cap_abandoned', {
          ...fields,
          why: outcome.abandoned,
          rotated: outcome.rotated.length > 0 ? outcome.rotated : undefined,
        });
        return;
      }
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

/**
 * A live file belongs to the app's user; a sidecar running as someone else (the app runs as
 * root, or its uid is unknown to the webhook) can compress and delete closed files in the
 * world-writable emptyDir but cannot open a live one for writing. Say what fixes it.
 */
export function hintFor(result: ActionResult): string | undefined {
  if (result.ok || result.action.kind !== 'cap') return undefined;
  if (result.code !== 'EACCES' && result.code !== 'EPERM') return undefined;
  return `the sidecar (uid ${process.getuid?.() ?? '?'}) may not write this live file; set ${KEYS.sidecarRunAsUser} to the uid that writes the logs`;
}

function reasonOf(action: Action): string | undefined {
  return 'reason' in action ? action.reason : undefined;
}
