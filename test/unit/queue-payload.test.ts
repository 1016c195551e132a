/**
 * The queue's wire formats, without Redis: the --queue URL check, shadow jobs and results
 * (round trips bit for bit, damaged or foreign payloads rejected with the field named),
 * and the record blob (chunked round trip, digest check, size limit) against an
 * in-memory key-value store standing in for Redis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { InputError } from '../../src/engine/errors';
import { decodeJob, decodeResult, encodeJob, encodeResult, JOB_FORMAT_VERSION, type JobSetup } from '../../src/engine/queue/job-payload';
import { blobChunkKey, blobManifestKey } from '../../src/engine/queue/queue-keys';
import { parseQueueUrl } from '../../src/engine/queue/queue-url';
import { fetchRecords, MAX_BLOB_BYTES, RecordsMismatchError, shipRecords, type KeyValueClient } from '../../src/engine/queue/record-blob';
import type { RecordStore } from '../../src/engine/shadow/record-store';

class MemoryStore implements KeyValueClient {
  readonly values = new Map<string, string>();
  sets = 0;
  async get(key: string) { return this.values.get(key) ?? null; }
  async set(key: string, value: string) { this.sets++; this.values.set(key, value); return 'OK'; }
  async del(...keys: string[]) { let n = 0; for (const k of keys) n += this.values.delete(k) ? 1 : 0; return n; }
}

function store(records: number, size: number, seed = 1): RecordStore {
  const features = new Float32Array(new SharedArrayBuffer(records * size * 4));
  const labels = new Int32Array(new SharedArrayBuffer(records * 4));
  let s = seed;
  for (let i = 0; i < features.length; i++) features[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  for (let r = 0; r < records; r++) labels[r] = r % 3;
  return { featureShape: [size], size, auditCount: records - 2, populationCount: 2, features, labels };
}

const SETUP: JobSetup = {
  architecture: { file: '/w/model.json', topology: { class_name: 'Sequential', config: { layers: [] } }, trainingConfig: { loss: 'x' } },
  optimizer: { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, source: 'settings' },
  numClasses: 3, epochs: 4, batchSize: 8, seed: 7, queries: ['identity', 'mirror'], backend: 'wasm',
};
const DIGEST = 'ab'.repeat(32);

test('parseQueueUrl accepts redis:// and rediss:// URLs and names the option in its errors', () => {
  assert.deepEqual(parseQueueUrl('redis://10.0.0.5:6380'), { url: 'redis://10.0.0.5:6380', host: '10.0.0.5', port: 6380 }, 'host and port');
  assert.equal(parseQueueUrl('rediss://redis.internal').port, 6379, 'the default Redis port');
  for (const [bad, why] of [['localhost:6379', /redis:\/\/ or rediss:\/\//], ['http://h:1', /scheme "http:"/], ['not a url', /expected a Redis URL/], ['redis://h:0', /not in 1\.\.65535/]] as const) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => e instanceof InputError && e.message.startsWith('--queue: ') && why.test(e.message), `${bad} is rejected naming --queue`);
  }
});

test('a job survives the queue unchanged and a damaged or foreign job is refused naming the field', () => {
  const members = [Int32Array.from([0, 5, 9, 2 ** 31 - 1]), Int32Array.from([1, 2])];
  const wire = JSON.parse(JSON.stringify(encodeJob('run-1', DIGEST, SETUP, { shadows: [3, 4], members })));
  const { data, setup, job } = decodeJob(wire);
  assert.equal(data.runId, 'run-1', 'run id');
  assert.equal(data.recordsDigest, DIGEST, 'digest');
  assert.deepEqual(setup, SETUP, 'setup');
  assert.deepEqual(job.shadows, [3, 4], 'shadows');
  assert.deepEqual(job.members, members, 'training sets, value for value');

  const broken = (change: (j: Record<string, unknown>) => void) => {
    const copy = JSON.parse(JSON.stringify(wire)) as Record<string, unknown>;
    change(copy);
    return copy;
  };
  assert.throws(() => decodeJob(broken((j) => { j.format = JOB_FORMAT_VERSION + 1; })), /run workers of the same privacy-lint version/, 'another format');
  assert.throws(() => decodeJob(broken((j) => { j.recordsDigest = 'abc'; })), /recordsDigest: expected a SHA-256/, 'a bad digest');
  assert.throws(() => decodeJob(broken((j) => { (j.members as string[]).pop(); })), /2 shadows but 1 training sets/, 'training sets missing');
  assert.throws(() => decodeJob(broken((j) => { (j.members as string[])[0] = 'AAA='; })), /members\[0\]: 2 bytes is not a whole number/, 'a truncated training set');
  assert.throws(() => decodeJob(broken((j) => { j.epochs = -1; })), /epochs: expected a whole number/, 'negative epochs');
  assert.throws(() => decodeJob('nonsense'), /job data: expected an object/, 'not an object');
});

test('results come back bit for bit (NaN payloads, -0, subnormals) and malformed ones are rejected', () => {
  const bits = Uint32Array.from([0x7fc00001, 0x80000000, 0x00000001, 0x3f800000, 0x3e99999a, 0xff800000]);
  const audit = new Float32Array(bits.buffer.slice(0));
  const population = Float32Array.from([0.25, 0.75, 0, 1, 0.5, 0.5]);
  const wire = JSON.stringify(encodeResult('wasm-simd', [{ shadow: 2, auditProbabilities: audit, populationProbabilities: population }]));
  const shape = { shadows: [2], auditValues: 6, populationValues: 6 };
  const { backend, results } = decodeResult(wire, shape);
  assert.equal(backend, 'wasm-simd', 'backend');
  assert.deepEqual(new Uint32Array(results[0].auditProbabilities.buffer), bits, 'the exact float32 bit patterns');
  assert.deepEqual(results[0].populationProbabilities, population, 'population values');
  assert.throws(() => decodeResult(wire, { ...shape, auditValues: 9 }), /6 audit probabilities returned, expected 9/, 'wrong size');
  assert.throws(() => decodeResult(wire, { ...shape, shadows: [1] }), /returned shadow 2, which its job did not ask for/, 'unasked shadow');
  assert.throws(() => decodeResult('{', shape), /not valid JSON/, 'broken JSON');
  assert.throws(() => decodeResult({ format: 99, backend: 'x', shadows: [] }, shape), /result format 99/, 'another format');
});

test('records ship in chunks, come back identical, and are verified against their digest', async () => {
  const redis = new MemoryStore();
  const records = store(1100, 1000); // 4.4 MB of features: two 4 MiB chunks
  const digest = await shipRecords(redis, records, 3, 'data.csv');
  const expected = createHash('sha256');
  expected.update(JSON.stringify({ featureShape: [1000], audit: 1098, population: 2, numClasses: 3 }));
  expected.update(new Uint8Array(records.features.buffer));
  expected.update(new Uint8Array(records.labels.buffer));
  assert.equal(digest, expected.digest('hex'), 'the blob is keyed by the SHA-256 of shape, features and labels');
  assert.ok(redis.values.has(blobChunkKey(digest, 1)) && !redis.values.has(blobChunkKey(digest, 2)), 'two chunks');

  const back = await fetchRecords(redis, digest);
  assert.equal(back.numClasses, 3, 'class count');
  assert.deepEqual(back.store.features, records.features, 'features');
  assert.deepEqual(back.store.labels, records.labels, 'labels');
  assert.ok(back.store.features.buffer instanceof SharedArrayBuffer, 'shared memory, as training threads expect');

  const writes = redis.sets;
  await shipRecords(redis, records, 3, 'data.csv');
  assert.equal(redis.sets, writes, 'a blob already in Redis is not shipped again');

  const chunk = Buffer.from(redis.values.get(blobChunkKey(digest, 1)) as string, 'base64');
  chunk[100] ^= 1;
  redis.values.set(blobChunkKey(digest, 1), chunk.toString('base64'));
  await assert.rejects(fetchRecords(redis, digest), (e: unknown) => e instanceof RecordsMismatchError && /the data differs, so the worker refuses/.test((e as Error).message), 'one flipped bit is refused');
  await assert.rejects(fetchRecords(redis, 'cd'.repeat(32)), (e: unknown) => e instanceof RecordsMismatchError && /are not in Redis/.test((e as Error).message), 'absent records are refused');
  redis.values.set(blobManifestKey(digest), '{"chunks": 1, "bytes": 10}');
  await assert.rejects(fetchRecords(redis, digest), /longer than their manifest says/, 'a manifest that does not match its chunks');
});

test('records above the size limit stop the audit with an InputError naming the data', async () => {
  const huge = { ...store(4, 2), features: { byteLength: MAX_BLOB_BYTES } as unknown as Float32Array };
  await assert.rejects(shipRecords(new MemoryStore(), huge, 3, '/w/train.npz', 'ef'.repeat(32)), (e: unknown) =>
    e instanceof InputError && e.location.file === '/w/train.npz' && /256\.0 MiB a queued audit ships/.test(e.message), 'size error names file and limit');
});
