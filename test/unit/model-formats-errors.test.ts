/**
 * Bad model files of every format end in an InputError that says what is wrong (never a
 * crash, never an unbounded read): truncated and corrupt files, wrong magic numbers,
 * missing HDF5 groups, zip members and files over the read caps, dynamic shapes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { initBackend } from '../../src/engine/backend';
import { InputError } from '../../src/engine/errors';
import { loadModel } from '../../src/engine/artifacts/models';
import { uniformRandom } from '../../src/engine/random';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'models');
let dir: string;

before(async () => {
  await initBackend('auto');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-model-errors-'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

/** Loads `file`; it must either load (a harmless corruption) or fail with an InputError. */
async function loadOrInputError(file: string, what: string): Promise<InputError | undefined> {
  try {
    const model = await loadModel(file);
    model.dispose();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof InputError, `${what}: expected an InputError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.startsWith(file), `${what}: the message names the file: ${e.message}`);
    return e;
  }
}

async function rejectsWith(file: string, pattern: RegExp, what: string): Promise<InputError> {
  const e = await loadOrInputError(file, what);
  assert.ok(e, `${what}: expected the load to fail`);
  assert.match(e.message, pattern, `${what}: message`);
  return e;
}

/** A sparse file of `bytes` bytes: its size is reported without taking disk space. */
function sparse(name: string, bytes: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, bytes);
  return file;
}

describe('Keras .h5', () => {
  const good = fs.readFileSync(path.join(FIXTURES, 'keras2-mlp.h5'));

  test('truncated files are refused, saying so', { timeout: 30_000 }, async () => {
    for (const length of [0, 7, 100, 2048, 6000, good.length - 16]) {
      await rejectsWith(write(`truncated-${length}.h5`, good.subarray(0, length)), /not an HDF5 file|truncated/, `truncated at ${length}`);
    }
  });

  test('a file without the HDF5 signature is refused before HDF5 sees it', async () => {
    await rejectsWith(write('text.h5', 'this is not HDF5\n'.repeat(64)), /not an HDF5 file: the HDF5 signature/, 'wrong magic');
  });

  test('a missing weights group is named', async () => {
    const e = await rejectsWith(path.join(FIXTURES, 'keras2-missing-group.h5'), /missing HDF5 group "model_weights\/dense_1" with the weights of layer "dense_1"/, 'missing group');
    assert.equal(e.location.field, 'model_weights/dense_1', 'field');
  });

  test('corrupted bytes give an InputError or a model, never a crash; h5wasm keeps working', { timeout: 60_000 }, async () => {
    const rand = uniformRandom(11);
    let refused = 0;
    for (let k = 0; k < 24; k++) {
      const bad = Buffer.from(good);
      // Corrupt 16 bytes in the first 3000 after the signature: superblock, object headers, heaps, config.
      const at = 8 + Math.floor(rand() * 3000);
      for (let i = 0; i < 16; i++) bad[at + i] = Math.floor(rand() * 256);
      if (await loadOrInputError(write(`corrupt-${k}.h5`, bad), `corruption at ${at}`)) refused++;
    }
    // 150 such corruptions measured: about 60% refused (HDF5 structure, JSON config, missing groups).
    assert.ok(refused >= 6, `most corruptions of the metadata are refused (${refused} of 24)`);
    const model = await loadModel(path.join(FIXTURES, 'keras2-mlp.h5'));
    assert.equal(model.numClasses, 3, 'a good file still loads after the corrupt ones');
    model.dispose();
  });

  test('files over the read cap are refused without reading them', async () => {
    await rejectsWith(sparse('huge.h5', 600 * 1024 ** 2), /600 MiB; Keras files over the 512 MiB read cap are not loaded/, 'size cap');
  });
});

describe('Keras .keras', () => {
  const good = fs.readFileSync(path.join(FIXTURES, 'keras3-functional.keras'));
  const members = unzipSync(good);

  test('truncated archives and wrong magic are refused', async () => {
    for (const length of [0, 30, Math.floor(good.length / 2), good.length - 10]) {
      await rejectsWith(write(`truncated-${length}.keras`, good.subarray(0, length)), /zip|corrupt|truncated/, `truncated at ${length}`);
    }
    await rejectsWith(write('plain.keras', '{"class_name": "Sequential"}'), /expected a zip archive/, 'wrong magic');
  });

  test('missing members are named', async () => {
    const noConfig = write('no-config.keras', zipSync({ 'metadata.json': members['metadata.json'], 'model.weights.h5': members['model.weights.h5'] }));
    await rejectsWith(noConfig, /no config\.json/, 'no config.json');
    const noWeights = write('no-weights.keras', zipSync({ 'config.json': members['config.json'] }));
    await rejectsWith(noWeights, /no model\.weights\.h5/, 'no weights');
    const corruptWeights = write('bad-weights.keras', zipSync({ 'config.json': members['config.json'], 'model.weights.h5': new TextEncoder().encode('not hdf5') }));
    await rejectsWith(corruptWeights, /model\.weights\.h5\): not an HDF5 file/, 'weights not HDF5');
  });

  test('a layer without its weights group is named', async () => {
    const config = new TextDecoder().decode(members['config.json']).replaceAll('"logits"', '"renamed"');
    const file = write('renamed.keras', zipSync({ 'config.json': new TextEncoder().encode(config), 'model.weights.h5': members['model.weights.h5'] }));
    const e = await rejectsWith(file, /missing HDF5 group "layers\/renamed\/vars" with the weights of layer "renamed"/, 'missing layer group');
    assert.equal(e.location.field, 'layers/renamed/vars', 'field');
  });

  test('a member declaring more than its cap is not inflated (zip bomb)', async () => {
    const zip = Buffer.from(zipSync({ 'config.json': members['config.json'], 'model.weights.h5': members['model.weights.h5'] }, { level: 0 }));
    // Central directory entries (PK\x01\x02) hold the uncompressed size at offset 24.
    let patched = 0;
    for (let i = zip.indexOf('PK\x01\x02', 0, 'latin1'); i >= 0; i = zip.indexOf('PK\x01\x02', i + 4, 'latin1')) {
      const nameLength = zip.readUInt16LE(i + 28);
      if (zip.toString('latin1', i + 46, i + 46 + nameLength) === 'model.weights.h5') {
        zip.writeUInt32LE(3 * 1024 ** 3, i + 24);
        patched++;
      }
    }
    assert.equal(patched, 1, 'the weights entry was found in the central directory');
    await rejectsWith(write('bomb.keras', zip), /"model\.weights\.h5" declares 3 GiB, over its 512 MiB read cap/, 'declared size cap');
  });
});

describe('ONNX', () => {
  const good = fs.readFileSync(path.join(FIXTURES, 'torch-mlp.onnx'));

  test('truncated or random bytes are refused with the offset where the structure breaks', async () => {
    for (const length of [1, 20, Math.floor(good.length / 2), good.length - 3]) {
      await rejectsWith(write(`truncated-${length}.onnx`, good.subarray(0, length)), /not a valid ONNX model .* at byte offset \d+|onnxruntime could not load/, `truncated at ${length}`);
    }
    const rand = uniformRandom(5);
    await rejectsWith(write('random.onnx', Uint8Array.from({ length: 512 }, () => Math.floor(rand() * 256))), /ONNX|onnxruntime/, 'random bytes');
    await rejectsWith(write('empty.onnx', new Uint8Array(0)), /no graph/, 'empty file');
  });

  test('files over the read cap are refused without reading them', async () => {
    await rejectsWith(sparse('huge.onnx', 1.5 * 1024 ** 3), /ONNX files over the 1 GiB read cap are not loaded/, 'size cap');
  });
});

describe('TF.js graph models', () => {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'graph-model', 'model.json'), 'utf8'));
  const shard = fs.readFileSync(path.join(FIXTURES, 'graph-model', 'group1-shard1of1.bin'));

  test('a truncated weight shard is refused', async () => {
    write('graph-short/group1-shard1of1.bin', shard.subarray(0, shard.length - 8));
    const file = write('graph-short/model.json', JSON.stringify(json));
    await rejectsWith(file, /describes 172 bytes of weights but its shards hold 164 bytes/, 'short shard');
  });

  test('a symbolic feature dimension is refused', async () => {
    const dynamic = structuredClone(json);
    dynamic.modelTopology.node[0].attr.shape.shape.dim[1].size = '-1';
    dynamic.signature.inputs['x:0'].tensorShape.dim[1].size = '-1';
    write('graph-dynamic/group1-shard1of1.bin', shard);
    const file = write('graph-dynamic/model.json', JSON.stringify(dynamic));
    await rejectsWith(file, /dynamic shape \[-1, -1\]: dimension 1 is unknown/, 'dynamic graph');
  });
});
