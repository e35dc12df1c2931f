import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { webhookFlagsOf } from './webhook-flags.ts';

describe("the webhook Deployment's flags, as logward status reads them", () => {
  it('reads cluster defaults, excluded namespaces and the sidecar mode in both flag forms', () => {
    expect(
      webhookFlagsOf([
        'webhook',
        '--tls-secret=logward-webhook-tls',
        '--default-size-limit=2Gi',
        '--default-log-dir',
        '/var/log/app',
        '--excluded-namespaces=legacy,batch',
        '--sidecar-mode=classic',
        '--fail-closed',
      ]),
    ).toEqual({
      defaults: { [KEYS.sizeLimit]: '2Gi', [KEYS.logDir]: '/var/log/app' },
      excludedNamespaces: ['legacy', 'batch'],
      mode: 'classic',
    });
  });

  it('reads no defaults from a webhook run without them, and auto as no mode', () => {
    expect(webhookFlagsOf(['webhook', '--sidecar-mode=auto'])).toEqual({
      defaults: {},
      excludedNamespaces: [],
      mode: undefined,
    });
  });
});
