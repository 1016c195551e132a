/**
 * Names in Redis: the BullMQ queue of shadow jobs, and our own keys beside it (record
 * blobs, cancel flags). One place, so the audit side and the worker side agree.
 */

/** BullMQ queue every audit enqueues into and every worker takes from. */
export const SHADOW_QUEUE = 'privacy-lint-shadows';

/** Prefix of our own keys; BullMQ's live under "bull:". */
const PREFIX = 'privacy-lint';

/** Manifest of a shipped record blob (JSON: byte length, chunk count). */
export function blobManifestKey(digest: string): string {
  return `${PREFIX}:records:${digest}:manifest`;
}

/** One chunk of a shipped record blob (base64). */
export function blobChunkKey(digest: string, chunk: number): string {
  return `${PREFIX}:records:${digest}:chunk:${chunk}`;
}

/** Set while an audit run is cancelled; workers poll it between training steps. */
export function cancelKey(runId: string): string {
  return `${PREFIX}:cancel:${runId}`;
}
