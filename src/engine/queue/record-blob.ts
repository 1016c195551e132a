/**
 * How the records reach the workers: shipped once per audit into Redis as a
 * content-addressed blob, keyed by recordsDigest (SHA-256 of features, labels, shape and
 * class count). A worker fetches a digest once, recomputes the digest of what it got,
 * and refuses the job when the two differ; so a worker never trains on other records
 * than the audit's. Blobs are split into chunks (one Redis value each, so no command
 * carries hundreds of MiB) and written chunks first, manifest last: a reader that finds
 * the manifest finds every chunk.
 */
import { InputError } from '../errors';
import { recordsDigest } from '../shadow/cache-key';
import type { RecordStore } from '../shadow/record-store';
import { blobChunkKey, blobManifestKey } from './queue-keys';

/** Largest record blob the queue ships; above it the audit stops with an InputError. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;
/** Raw bytes per chunk (base64 in Redis: 4/3 of that). */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Blobs expire a week after upload; an audit re-ships a blob it finds missing. */
const BLOB_TTL_SECONDS = 7 * 24 * 3600;

/** The few commands the blob needs; BullMQ's client (any driver) provides them. */
export interface KeyValueClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: { EX?: number }): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
}

interface BlobManifest {
  digest: string;
  bytes: number;
  chunks: number;
}

interface BlobHeader {
  featureShape: number[];
  auditCount: number;
  populationCount: number;
  numClasses: number;
}

/** Bytes the blob of `store` takes (header aside), for the size check. */
function blobBytes(store: RecordStore): number {
  return store.features.byteLength + store.labels.byteLength;
}

/**
 * Ships the records unless a blob with their digest is already there; returns the digest.
 * `source` names the data for the size error.
 */
export async function shipRecords(client: KeyValueClient, store: RecordStore, numClasses: number, source: string, digest = recordsDigest(store, numClasses)): Promise<string> {
  const size = blobBytes(store);
  if (size > MAX_BLOB_BYTES) {
    throw new InputError(
      `the audit's records take ${mib(size)} MiB, more than the ${mib(MAX_BLOB_BYTES)} MiB a queued audit ships through Redis; audit with fewer records or train the shadows locally (without --queue)`,
      { file: source },
    );
  }
  if ((await client.get(blobManifestKey(digest))) !== null) return digest;
  const blob = encodeBlob(store, numClasses);
  const chunks = Math.max(1, Math.ceil(blob.length / CHUNK_BYTES));
  for (let i = 0; i < chunks; i++) {
    await client.set(blobChunkKey(digest, i), blob.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64'), { EX: BLOB_TTL_SECONDS });
  }
  const manifest: BlobManifest = { digest, bytes: blob.length, chunks };
  await client.set(blobManifestKey(digest), JSON.stringify(manifest), { EX: BLOB_TTL_SECONDS });
  return digest;
}

/** Thrown when a worker cannot get the exact records a job names: it must not train. */
export class RecordsMismatchError extends Error {
  override readonly name = 'RecordsMismatchError';
}

/** Fetches and verifies the records with `digest`; throws RecordsMismatchError when absent or different. */
export async function fetchRecords(client: KeyValueClient, digest: string): Promise<{ store: RecordStore; numClasses: number }> {
  const manifestText = await client.get(blobManifestKey(digest));
  if (manifestText === null) {
    throw new RecordsMismatchError(`the records ${digest.slice(0, 12)}… this job trains on are not in Redis (expired, deleted, or Redis lost its data); the worker refuses to train without them: re-run the audit to ship them again`);
  }
  let manifest: BlobManifest;
  try {
    manifest = JSON.parse(manifestText) as BlobManifest;
  } catch {
    throw new RecordsMismatchError(`the manifest of records ${digest.slice(0, 12)}… in Redis is not valid JSON`);
  }
  if (!Number.isInteger(manifest.chunks) || manifest.chunks < 1 || !Number.isInteger(manifest.bytes) || manifest.bytes > MAX_BLOB_BYTES + 1024 * 1024) {
    throw new RecordsMismatchError(`the manifest of records ${digest.slice(0, 12)}… in Redis is malformed`);
  }
  const blob = Buffer.alloc(manifest.bytes);
  let offset = 0;
  for (let i = 0; i < manifest.chunks; i++) {
    const text = await client.get(blobChunkKey(digest, i));
    if (text === null) throw new RecordsMismatchError(`chunk ${i} of records ${digest.slice(0, 12)}… is missing from Redis`);
    const bytes = Buffer.from(text, 'base64');
    if (offset + bytes.length > blob.length) throw new RecordsMismatchError(`records ${digest.slice(0, 12)}… in Redis are longer than their manifest says`);
    bytes.copy(blob, offset);
    offset += bytes.length;
  }
  if (offset !== blob.length) throw new RecordsMismatchError(`records ${digest.slice(0, 12)}… in Redis are shorter than their manifest says`);
  const decoded = decodeBlob(blob, digest);
  const actual = recordsDigest(decoded.store, decoded.numClasses);
  if (actual !== digest) {
    throw new RecordsMismatchError(`the records this worker received hash to ${actual.slice(0, 12)}…, but the job was enqueued for records ${digest.slice(0, 12)}…: the data differs, so the worker refuses to train on it`);
  }
  return decoded;
}

/** Layout: uint32 header length, header JSON, float32 features, int32 labels (little-endian). */
export function encodeBlob(store: RecordStore, numClasses: number): Buffer {
  const header: BlobHeader = { featureShape: store.featureShape, auditCount: store.auditCount, populationCount: store.populationCount, numClasses };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  return Buffer.concat([
    length,
    headerBytes,
    Buffer.from(store.features.buffer, store.features.byteOffset, store.features.byteLength),
    Buffer.from(store.labels.buffer, store.labels.byteOffset, store.labels.byteLength),
  ]);
}

/** Rebuilds a RecordStore (over SharedArrayBuffers, as the training threads expect). */
function decodeBlob(blob: Buffer, digest: string): { store: RecordStore; numClasses: number } {
  const bad = (why: string) => new RecordsMismatchError(`records ${digest.slice(0, 12)}… in Redis are malformed: ${why}`);
  if (blob.length < 4) throw bad('shorter than a header');
  const headerLength = blob.readUInt32LE(0);
  if (4 + headerLength > blob.length) throw bad('header longer than the blob');
  let header: BlobHeader;
  try {
    header = JSON.parse(blob.subarray(4, 4 + headerLength).toString('utf8')) as BlobHeader;
  } catch {
    throw bad('header is not JSON');
  }
  const dims = header.featureShape;
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d > 0)) throw bad('featureShape');
  if (!Number.isInteger(header.auditCount) || !Number.isInteger(header.populationCount) || !Number.isInteger(header.numClasses)) throw bad('counts');
  const size = dims.reduce((a, b) => a * b, 1);
  const total = header.auditCount + header.populationCount;
  const featureBytes = total * size * 4;
  if (blob.length !== 4 + headerLength + featureBytes + total * 4) throw bad(`${blob.length} bytes do not match ${total} records of ${size} values`);
  const features = new Float32Array(new SharedArrayBuffer(featureBytes));
  const labels = new Int32Array(new SharedArrayBuffer(total * 4));
  const start = 4 + headerLength;
  new Uint8Array(features.buffer).set(blob.subarray(start, start + featureBytes));
  new Uint8Array(labels.buffer).set(blob.subarray(start + featureBytes));
  return {
    store: { featureShape: dims, size, auditCount: header.auditCount, populationCount: header.populationCount, features, labels },
    numClasses: header.numClasses,
  };
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
