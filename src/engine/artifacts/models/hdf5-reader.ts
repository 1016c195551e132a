/**
 * Read-only access to an HDF5 file held in memory, through h5wasm (the HDF5 C library
 * compiled to WebAssembly). h5wasm is loaded on first use (its module embeds a 4 MB wasm
 * binary) and works on its own in-memory file system: we read the bytes ourselves (with
 * a size cap) and never hand it a path of the user's disk.
 *
 * HDF5 prints its error stack to stderr; while we call into it that output is captured
 * and its most telling line goes into the InputError instead.
 */
import { InputError } from '../../errors';

type H5 = typeof import('h5wasm');
type H5Module = Awaited<H5['ready']>;

/** First bytes of every HDF5 file (the superblock may also start at 512, 1024, 2048 ...). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

let loading: Promise<{ h5: H5; module: H5Module }> | undefined;
let capturing: string[] | undefined;
let fileCounter = 0;

async function loadH5wasm(): Promise<{ h5: H5; module: H5Module }> {
  // Emscripten binds console.error once, when the module is created: route it through a
  // filter that captures HDF5 diagnostics while one of our calls runs.
  const original = console.error;
  const filtered = (...args: unknown[]) => {
    if (capturing) capturing.push(args.map(String).join(' '));
    else original.apply(console, args);
  };
  console.error = filtered;
  try {
    const h5 = await import('h5wasm');
    const module = await h5.ready;
    return { h5, module };
  } finally {
    if (console.error === filtered) console.error = original;
  }
}

export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + 8 <= bytes.length && offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

export interface Hdf5Dataset {
  shape: number[];
  values: Float32Array;
}

export type Hdf5Kind = 'group' | 'dataset' | 'other' | null;

export class Hdf5Reader {
  private constructor(
    private readonly h5: H5,
    private readonly module: H5Module,
    private readonly file: import('h5wasm').File,
    private readonly memPath: string,
    /** The user's file, for error messages (a zip member is named inside it). */
    readonly source: string,
  ) {}

  /** Opens HDF5 bytes; `source` names them in errors. The caller must close() the reader. */
  static async open(bytes: Uint8Array, source: string): Promise<Hdf5Reader> {
    if (!hasHdf5Signature(bytes)) {
      throw new InputError('not an HDF5 file: the HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) was not found at offset 0, 512, 1024 ...', { file: source });
    }
    const { h5, module } = await (loading ??= loadH5wasm());
    const memPath = `/privacy-lint-${process.pid}-${++fileCounter}.h5`;
    module.FS.writeFile(memPath, bytes);
    let file: import('h5wasm').File | undefined;
    const diagnostics = quietly(() => {
      file = new h5.File(memPath, 'r');
    });
    if (!file || diagnostics.error || Number(file.file_id) < 0) {
      try {
        module.FS.unlink(memPath);
      } catch {
        // Nothing to clean up.
      }
      throw new InputError(`HDF5 could not open the file (truncated or corrupt?)${detail(diagnostics.lines, diagnostics.error)}`, { file: source });
    }
    return new Hdf5Reader(h5, module, file, memPath, source);
  }

  kind(path: string): Hdf5Kind {
    const { value } = this.call(path, () => {
      const entity = this.file.get(path);
      if (entity === null || entity === undefined) return null;
      if (entity instanceof this.h5.Group) return 'group';
      if (entity instanceof this.h5.Dataset) return 'dataset';
      return 'other';
    });
    return value;
  }

  /** Member names of a group, in the file's (alphabetical) order. */
  keys(path: string): string[] {
    return this.call(path, () => (this.group(path)?.keys() ?? [])).value;
  }

  /** A string (or list of strings) attribute, or undefined when absent. */
  stringAttribute(path: string, name: string): string | string[] | undefined {
    return this.call(`${path} attribute ${name}`, () => {
      const entity = path === '/' ? this.file : this.file.get(path);
      if (!entity || !('attrs' in entity)) return undefined;
      const attrs = (entity as import('h5wasm').Group).attrs;
      if (!(name in attrs)) return undefined;
      const value = attrs[name].value;
      const decode = (v: unknown): string => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));
      if (Array.isArray(value)) return value.map(decode);
      if (typeof value === 'string' || value instanceof Uint8Array) return decode(value);
      throw new InputError(`attribute "${name}" is not a string`, { file: this.source, field: `${path}@${name}` });
    }).value;
  }

  /**
   * A numeric dataset as float32. `maxBytes` caps what is read: HDF5 datasets can be
   * compressed, so the declared shape, not the file size, bounds the memory taken.
   */
  readFloat32(path: string, maxBytes: number): Hdf5Dataset {
    return this.call(path, () => {
      const entity = this.file.get(path);
      if (!(entity instanceof this.h5.Dataset)) throw new InputError(`expected a dataset at "${path}"`, { file: this.source, field: path });
      const shape = entity.shape ?? [];
      const count = shape.reduce((a, b) => a * b, 1);
      const metadata = entity.metadata;
      if (count * Math.max(metadata.size, 4) > maxBytes) {
        throw new InputError(`dataset "${path}" of shape [${shape.join(', ')}] is larger than the ${formatBytes(maxBytes)} read cap`, { file: this.source, field: path });
      }
      const value = entity.value;
      if (!ArrayBuffer.isView(value) || value instanceof BigInt64Array || value instanceof BigUint64Array || value instanceof DataView) {
        throw new InputError(`dataset "${path}" is not a numeric array (HDF5 type class ${metadata.type}, ${metadata.size} bytes)`, { file: this.source, field: path });
      }
      return { shape, values: value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>) };
    }).value;
  }

  close(): void {
    quietly(() => this.file.close());
    try {
      this.module.FS.unlink(this.memPath);
    } catch {
      // Already gone.
    }
  }

  private group(path: string): import('h5wasm').Group | null {
    const entity = path === '/' ? this.file : this.file.get(path);
    return entity instanceof this.h5.Group ? entity : null;
  }

  /** Runs a read; HDF5 failures become an InputError naming the object being read. */
  private call<T>(what: string, read: () => T): { value: T } {
    let value: T | undefined;
    const diagnostics = quietly(() => {
      value = read();
    });
    if (diagnostics.error instanceof InputError) throw diagnostics.error;
    if (diagnostics.error) {
      throw new InputError(`HDF5 could not read "${what}" (corrupt file?)${detail(diagnostics.lines, diagnostics.error)}`, { file: this.source, field: what });
    }
    return { value: value as T };
  }
}

/** Runs f with HDF5's stderr output captured; returns what it printed and what it threw. */
function quietly(f: () => void): { lines: string[]; error?: unknown } {
  const previous = capturing;
  const lines: string[] = [];
  capturing = lines;
  try {
    f();
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    capturing = previous;
  }
}

/** The last minor/major message of HDF5's error stack, which says what actually failed. */
function detail(lines: string[], error: unknown): string {
  const stack = lines.join('\n').split('\n');
  const reason = stack.filter((l) => /^\s*#\d+:/.test(l)).map((l) => l.replace(/^.* in [A-Za-z0-9_]+\(\): /, '').trim()).pop();
  const message = error instanceof Error ? error.message : error !== undefined ? String(error) : '';
  const parts = [reason, message].filter((p): p is string => !!p);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2) return `${bytes / 1024 ** 2} MiB`;
  return `${bytes} bytes`;
}
