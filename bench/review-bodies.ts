// The reviews the load generator sends (loadgen.ts --vary): the fixture as it is, each with its own
// request.uid as the API server sends a pod template's replicas, or each a different pod.

/** The body of the review numbered `index`, as --vary asks. */
export function reviewBodies(text: string, vary: string): (index: number) => string {
  if (vary === 'none') return () => text;
  if (vary !== 'uid' && vary !== 'pod') throw new Error(`--vary ${vary}: expected none, uid or pod`);
  const review = JSON.parse(text) as {
    request: { uid: string; object: { metadata: { generateName: string } } };
  };
  const once = (literal: string) => {
    const parts = text.split(literal);
    if (parts.length !== 2) throw new Error(`${literal} must appear once in the review for --vary ${vary}`);
    return parts as [string, string];
  };
  const { uid } = review.request;
  const [beforeUid, afterUid] = once(JSON.stringify(uid));
  // The uid's last group (12 hex digits) numbered, so each is a well-formed, distinct uid.
  const uidOf = (index: number) =>
    JSON.stringify(`${uid.slice(0, -12)}${index.toString(16).padStart(12, '0')}`);
  if (vary === 'uid') return (index) => `${beforeUid}${uidOf(index)}${afterUid}`;
  const { generateName } = review.request.object.metadata;
  const [beforeName, afterName] = once(JSON.stringify(generateName));
  const head = `${beforeUid}${JSON.stringify(uid)}`;
  if (!beforeName.startsWith(head)) {
    throw new Error(`request.uid must come before the pod's generateName in the review`);
  }
  const between = beforeName.slice(head.length);
  return (index) =>
    `${beforeUid}${uidOf(index)}${between}${JSON.stringify(`${generateName}${index.toString(36)}-`)}${afterName}`;
}
