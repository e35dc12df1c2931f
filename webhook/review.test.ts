import { describe, expect, it } from 'vitest';
import { allowed, complete, completeText, denied, failedOpen, patched, withWarnings } from './review.ts';

describe('completeText: the answer as the text sent', () => {
  it.each([
    ['allowed, nothing to patch', allowed()],
    [
      'a patch with warnings',
      withWarnings(patched([{ op: 'add', path: '/spec/volumes/-', value: { name: 'logs' } }]), [
        'a "quoted" warning',
      ]),
    ],
    ['denied', denied('web: logward.io/size-limit "lots" is not a quantity')],
    ['failed open', failedOpen('Logward failed to review this object')],
  ])('is complete(verdict, request) as JSON: %s', (_, verdict) => {
    for (const uid of ['705ab4f5-6393-11e8-b7cc-42010a800002', 'a "uid" with \\ escapes']) {
      expect(JSON.parse(completeText(verdict, { uid }))).toEqual(complete(verdict, { uid }));
      // Twice: the second from the verdict's kept text.
      expect(JSON.parse(completeText(verdict, { uid }))).toEqual(complete(verdict, { uid }));
    }
  });
});
