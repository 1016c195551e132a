/**
 * File IO for TensorFlow.js Layers models: model.json plus binary weight shards on disk.
 * Ours rather than tfjs-node's file:// handler so it works on every backend and never
 * touches the network (no fetch, no http handler).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { InputError } from '../../errors';
import { currentReadPolicy, readRegularFileSync } from '../safe-files';

type ModelArtifacts = tfc.io.ModelArtifacts;

/** Largest model.json / shard set we read; protects the engine from absurd files. */
const MAX_MODEL_BYTES = 2 * 1024 ** 3;
/** model.json with inline topology can be several MB; anything far larger is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 ** 2;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, complex64: 8 };

export function readLayersModelArtifacts(modelJsonPath: string, json?: ModelJson): ModelArtifacts {
  return readModelJsonArtifacts(modelJsonPath, 'layers-model', json);
}

export type ModelJson = Record<string, unknown>;

/** model.json parsed: a JSON object, or an InputError naming the file. */
export function readModelJson(modelJsonPath: string): ModelJson {
  const text = readRegularFileSync(modelJsonPath, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'model file' }).toString('utf8');
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new InputError(`model.json is not valid JSON: ${(e as Error).message}`, { file: modelJsonPath });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError('expected a JSON object with "modelTopology" and "weightsManifest"', { file: modelJsonPath });
  }
  return json;
}

/** model.json plus its weight shards, for a Layers model or (inference only) a graph model. */
export function readModelJsonArtifacts(modelJsonPath: string, kind: 'layers-model' | 'graph-model', json: ModelJson = readModelJson(modelJsonPath)): ModelArtifacts {
  if (kind === 'graph-model' && json.format !== 'graph-model') {
    throw new InputError(`expected a TF.js graph model (format "graph-model"), found format ${JSON.stringify(json.format ?? null)}`, {
      file: modelJsonPath, field: 'format',
    });
  }
  if (kind === 'layers-model' && json.format === 'graph-model') {
    throw new InputError('this is a TF.js graph model; a Layers model (format "layers-model") is needed to audit it here', {
      file: modelJsonPath, field: 'format',
    });
  }
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw new InputError('missing "modelTopology": expected the Keras model config written by model.save()', {
      file: modelJsonPath, field: 'modelTopology',
    });
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new InputError('missing "weightsManifest": expected an array of {paths, weights} groups', {
      file: modelJsonPath, field: 'weightsManifest',
    });
  }
  const dir = path.dirname(modelJsonPath);
  const weightSpecs: tfc.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let total = 0;
  manifest.forEach((group: unknown, g: number) => {
    const grp = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(grp.paths) || !Array.isArray(grp.weights)) {
      throw new InputError('each weightsManifest group needs "paths" and "weights" arrays', {
        file: modelJsonPath, field: `weightsManifest[${g}]`,
      });
    }
    let groupBytes = 0;
    for (const p of grp.paths) {
      if (typeof p !== 'string' || path.isAbsolute(p) || p.includes('..') || /^[a-z]+:/i.test(p)) {
        // Shards must sit beside model.json: no absolute paths, no URLs, no escaping the folder.
        throw new InputError(`weight shard path ${JSON.stringify(p)} must be a relative file name beside model.json`, {
          file: modelJsonPath, field: `weightsManifest[${g}].paths`,
        });
      }
      const shard = path.join(dir, p);
      if (!fs.existsSync(shard)) {
        throw new InputError(`weight shard "${p}" listed in weightsManifest[${g}].paths was not found`, {
          file: modelJsonPath, field: `weightsManifest[${g}].paths`,
        });
      }
      // A regular file (a symlink to /dev/zero or a FIFO is refused), inside the workspace
      // (outside an audit: beside model.json), within what is left of the 2 GiB budget.
      const data = readRegularFileSync(shard, {
        maxBytes: MAX_MODEL_BYTES - total,
        what: 'weight shard',
        policy: currentReadPolicy() ?? { root: dir, allowOutside: false },
        tooLarge: () => 'weights larger than 2 GiB are not supported',
      });
      total += data.length;
      groupBytes += data.length;
      buffers.push(data);
    }
    let expected = 0;
    for (const w of grp.weights as tfc.io.WeightsManifestEntry[]) {
      const n = (w.shape ?? []).reduce((a: number, b: number) => a * b, 1);
      const q = w.quantization;
      const bytes = q ? n * (q.dtype === 'uint8' ? 1 : 2) : n * (DTYPE_BYTES[w.dtype] ?? 4);
      expected += bytes;
      weightSpecs.push(w);
    }
    if (expected !== groupBytes) {
      throw new InputError(
        `weightsManifest[${g}] describes ${expected} bytes of weights but its shards hold ${groupBytes} bytes (truncated or mismatched shard?)`,
        { file: modelJsonPath, field: `weightsManifest[${g}]` },
      );
    }
  });
  const weightData = concat(buffers);
  return {
    modelTopology: json.modelTopology as object,
    weightSpecs,
    weightData,
    format: json.format as string | undefined,
    generatedBy: json.generatedBy as string | undefined,
    convertedBy: json.convertedBy as string | null | undefined,
    trainingConfig: json.trainingConfig as tfc.io.TrainingConfig | undefined,
    ...(kind === 'graph-model' ? { signature: json.signature as object | undefined, modelInitializer: json.modelInitializer as object | undefined } : {}),
  };
}

function concat(buffers: Buffer[]): ArrayBuffer {
  const total = buffers.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    out.set(b, o);
    o += b.length;
  }
  return out.buffer;
}

/** An IOHandler that writes model.json and one shard, atomically (temp file, then rename). */
export function layersModelFileWriter(dir: string, shardName = 'group1-shard1of1.bin'): tfc.io.IOHandler {
  return {
    save: async (artifacts: ModelArtifacts) => {
      fs.mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData;
      const bytes = data === undefined ? new Uint8Array(0)
        : Array.isArray(data) ? new Uint8Array(concat(data.map((d) => Buffer.from(d))))
        : new Uint8Array(data);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        trainingConfig: artifacts.trainingConfig,
        weightsManifest: [{ paths: [shardName], weights: artifacts.weightSpecs ?? [] }],
      };
      writeAtomic(path.join(dir, shardName), bytes);
      writeAtomic(path.join(dir, 'model.json'), Buffer.from(JSON.stringify(modelJson)));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.length } };
    },
  };
}

export function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
