/** Extension side of artifact scans: which detected files are scanned, and when the list is sent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactScanSync, type ScanClient } from '../../src/extension/detection/artifact-scan-sync';
import { classify, DETECTION_GLOB } from '../../src/extension/detection/classify';
import type { DetectionSnapshot } from '../../src/extension/detection/detected';
import { globToRegExp } from '../../src/extension/detection/glob';
import { scanTargets } from '../../src/extension/detection/scan-targets';
import { ScanArtifactsRequest, type ScanArtifactsResult } from '../../src/shared/protocol';

const model = (p: string, format: DetectionSnapshot['models'][number]['format']) => ({ path: p, uri: `file://${p}`, format, auditable: format === 'tfjs', unsafe: format === 'pickle' || format === 'pytorch' });
const dataset = (p: string, format: DetectionSnapshot['datasets'][number]['format']) => ({ path: p, uri: `file://${p}`, format });

const SNAPSHOT: DetectionSnapshot = {
  manifests: [],
  models: [model('/w/model.json', 'tfjs'), model('/w/a.pt', 'pytorch'), model('/w/b.pkl', 'pickle'), model('/w/c.keras', 'keras'),
    model('/w/d.h5', 'keras'), model('/w/e.onnx', 'onnx'), model('/w/f.safetensors', 'safetensors')],
  datasets: [dataset('/w/x.npy', 'npy'), dataset('/w/y.npz', 'npz'), dataset('/w/z.csv', 'csv')],
  done: true,
};

test('checkpoints, pickles, Keras, safetensors and NPY/NPZ are scanned; TF.js, ONNX and CSV are not', () => {
  assert.deepEqual(scanTargets(SNAPSHOT), ['/w/a.pt', '/w/b.pkl', '/w/c.keras', '/w/d.h5', '/w/f.safetensors', '/w/x.npy', '/w/y.npz']);
});

test('detection knows .ckpt, .safetensors, .h5, .keras and .onnx models', () => {
  assert.deepEqual(classify('/w/last.ckpt'), { kind: 'model', format: 'pytorch' });
  assert.deepEqual(classify('/w/model.safetensors'), { kind: 'model', format: 'safetensors' });
  assert.deepEqual(classify('/w/net.h5'), { kind: 'model', format: 'keras' });
  assert.deepEqual(classify('/w/net.keras'), { kind: 'model', format: 'keras' });
  assert.deepEqual(classify('/w/net.onnx'), { kind: 'model', format: 'onnx' });
  const re = globToRegExp(DETECTION_GLOB);
  for (const name of ['m/last.ckpt', 'm/model.safetensors', 'm/net.h5', 'm/net.keras', 'm/net.onnx']) assert.ok(re.test(name), `the detection glob matches ${name}`);
});

function harness(initial: DetectionSnapshot) {
  let snapshot = initial;
  const detectionListeners: (() => void)[] = [];
  const engineListeners: (() => void)[] = [];
  const sent: { client: number; files: string[] }[] = [];
  const logs: string[] = [];
  const makeClient = (id: number, unreadable: ScanArtifactsResult['unreadable'] = []): ScanClient => ({
    sendRequest: async (type, params) => {
      assert.equal(type.method, ScanArtifactsRequest.method, 'the typed request');
      sent.push({ client: id, files: params.files });
      return { summaries: params.files.map((file) => ({ file, format: 'pickle', pickleBased: true, errors: file.endsWith('.pkl') ? 1 : 0, warnings: 0 })), unreadable };
    },
  });
  let client: ScanClient | undefined;
  const sync = new ArtifactScanSync({
    snapshot: () => snapshot,
    onDetectionChange: (l) => (detectionListeners.push(l), { dispose: () => detectionListeners.splice(detectionListeners.indexOf(l), 1) }),
    client: () => client,
    onEngineChange: (l) => (engineListeners.push(l), { dispose: () => undefined }),
  }, { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`) }, 5);
  return {
    sync, sent, logs,
    setSnapshot: (s: DetectionSnapshot) => { snapshot = s; detectionListeners.forEach((l) => l()); },
    setClient: (c: ScanClient | undefined) => { client = c; engineListeners.forEach((l) => l()); },
    engineEvent: () => engineListeners.forEach((l) => l()),
    makeClient,
    detectionListeners,
  };
}

test('the list is sent once detection is complete and an engine runs, after changes, and to each new engine', async () => {
  const h = harness({ ...SNAPSHOT, done: false });
  await h.sync.settled();
  assert.equal(h.sent.length, 0, 'nothing without an engine');

  const first = h.makeClient(1);
  h.setClient(first);
  await h.sync.settled();
  assert.equal(h.sent.length, 0, 'nothing before the first full detection (a partial list would clear diagnostics)');

  h.setSnapshot(SNAPSHOT);
  await h.sync.settled();
  assert.deepEqual([...h.sent], [{ client: 1, files: scanTargets(SNAPSHOT) }], 'sent once detection is done');
  assert.match(h.logs.at(-1) ?? '', /Scanned 7 model\/data file\(s\) statically: 1 unsafe to load/);

  h.engineEvent();
  await h.sync.settled();
  assert.equal(h.sent.length, 1, 'a status change of the same engine sends nothing');

  h.setSnapshot({ ...SNAPSHOT, models: SNAPSHOT.models.slice(0, 2) });
  await h.sync.settled();
  assert.deepEqual(h.sent.at(-1)?.files, ['/w/a.pt', '/w/x.npy', '/w/y.npz'], 'a detection change sends the new list (files gone are cleared by the server)');

  h.setClient(undefined);
  h.setClient(h.makeClient(2, [{ file: '/w/a.pt', message: 'gone' }]));
  await h.sync.settled();
  assert.equal(h.sent.at(-1)?.client, 2, 'a restarted engine gets the list again');
  assert.ok(h.logs.includes('warn: Could not scan /w/a.pt: gone'), 'unreadable files are logged');

  h.sync.dispose();
  assert.equal(h.detectionListeners.length, 0, 'disposing unsubscribes');
});

test('bursts of detection changes are coalesced into one request', async () => {
  const h = harness(SNAPSHOT);
  h.setClient(h.makeClient(1));
  for (let i = 0; i < 5; i++) h.setSnapshot(SNAPSHOT);
  await h.sync.settled();
  assert.equal(h.sent.length, 1, 'one request for a burst');
  h.sync.dispose();
});
