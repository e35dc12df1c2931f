// The stages bench/review-stages.ts times, by the names the report prints: the floor's two, and
// what the webhook does on top of them.
export const FLOOR_STAGES = {
  parse: 'parse the review (JSON)',
  emptyAnswer: "write an empty answer (the floor's)",
} as const;
export const LOGWARD_STAGES = {
  decide: 'decide and mutate',
  diff: 'diff into a patch',
  encode: 'encode the patch (JSON, base64)',
  answer: 'write the answer (JSON)',
  log: 'log line (pino)',
} as const;
