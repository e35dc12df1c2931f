import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../kube/client.ts';
import { deniedBy, grantHints } from './forbidden.ts';
import { forbidden } from './testing.ts';

describe('what logward status says when RBAC refuses a read', () => {
  it("reads who was refused from the API server's 403, and nothing from other failures", () => {
    expect(deniedBy(forbidden('/api/v1/namespaces/shop/pods'), 'shop')).toEqual({
      namespace: 'shop',
      user: 'system:serviceaccount:tools:reader',
    });
    // A 403 the pod itself answered through the proxy has no Forbidden reason: not RBAC.
    expect(deniedBy(new KubeApiError(403, undefined, 'GET /x: 403: denied'), 'shop')).toBeUndefined();
    expect(deniedBy(new KubeApiError(404, 'NotFound', 'GET /x: 404 NotFound'), 'shop')).toBeUndefined();
    expect(deniedBy(new Error('ECONNREFUSED'), 'shop')).toBeUndefined();
  });

  it('gives the RoleBinding of the refused namespace, for the ServiceAccount or user that was refused', () => {
    expect(
      grantHints([
        { namespace: 'shop', user: 'system:serviceaccount:tools:reader' },
        { namespace: 'logward-system', user: 'jane@example.com' },
      ]),
    ).toEqual([
      'to grant what logward status reads, bind the ClusterRole logward-status: kubectl -n shop create rolebinding logward-status --clusterrole=logward-status --serviceaccount=tools:reader',
      'to grant what logward status reads, bind the ClusterRole logward-status: kubectl -n logward-system create rolebinding logward-status --clusterrole=logward-status --user=jane@example.com',
    ]);
  });

  it('gives a ClusterRoleBinding for -A, and says each command once', () => {
    const denied = { namespace: undefined, user: 'jane' };
    expect(grantHints([denied, denied])).toEqual([
      'to grant what logward status reads, bind the ClusterRole logward-status: kubectl create clusterrolebinding logward-status --clusterrole=logward-status --user=jane',
    ]);
  });

  it('quotes a user name a shell would split, and leaves a placeholder when the API server named no one', () => {
    expect(grantHints([{ namespace: 'shop', user: "CN=Jane O'Neil" }])[0]).toMatch(
      / --user='CN=Jane O'\\''Neil'$/,
    );
    expect(grantHints([{ namespace: 'shop', user: undefined }])[0]).toMatch(/ --user=USER$/);
  });

  it('says an anonymous request is a credentials problem, not a missing binding', () => {
    expect(grantHints([{ namespace: 'shop', user: 'system:anonymous' }])).toEqual([
      expect.stringContaining('the kubeconfig sent no credentials it accepts'),
    ]);
  });
});
