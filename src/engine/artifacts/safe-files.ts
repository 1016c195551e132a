/**
 * The one way the engine opens a user's file: a regular file (never a device, FIFO, socket,
 * folder, or a /proc or /sys entry), inside the audit's workspace root after symlinks
 * (unless the user allowed otherwise), at most `maxBytes` long, checked before any byte is
 * read and checked again on the open descriptor (the path may change between the checks).
 *
 * The workspace root comes from the audit that is running (withReadPolicy, carried through
 * awaits by AsyncLocalStorage), so every loader is confined without threading it through.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

export interface ReadPolicy {
  /** Workspace root: files must resolve (after symlinks) inside it. */
  root: string;
  /** The user allowed files outside the root (CLI flag or machine-scoped setting). */
  allowOutside: boolean;
  /** Folders the engine itself writes and reads back, chosen by the caller (the shadow/defense cache), never by a manifest. */
  trusted?: readonly string[];
}

/** Why `file` is refused under `policy`, or undefined: inside the root or a trusted folder, after symlinks. */
function refusal(file: string, policy: ReadPolicy): string | undefined {
  if (policy.allowOutside) return undefined;
  const why = outsideWorkspace(file, policy.root);
  if (why === undefined) return undefined;
  const real = realpathNearest(file);
  return (policy.trusted ?? []).some((dir) => isInside(real, realpathNearest(dir))) ? undefined : why;
}

const policyStore = new AsyncLocalStorage<ReadPolicy>();

/** Runs `fn` (and everything it awaits) with reads confined by `policy`. */
export function withReadPolicy<T>(policy: ReadPolicy, fn: () => T): T {
  return policyStore.run(policy, fn);
}

export function currentReadPolicy(): ReadPolicy | undefined {
  return policyStore.getStore();
}

export interface ReadOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** What the file is, for messages: "dataset file", "weight shard". */
  what: string;
  /** Overrides the running audit's policy (tests, callers outside an audit). */
  policy?: ReadPolicy;
  /** The message for a file over the cap, when the caller has its own wording. */
  tooLarge?: (size: number) => string;
}

/** Kernel pseudo-filesystems: their "regular" files report size 0 and hold live process data. */
const PSEUDO_FS = ['/proc', '/sys', '/dev'];

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (for paths that do not exist yet). */
export function realpathNearest(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realpathNearest(parent), path.basename(abs));
  }
}

/** True when `file` (a real path) is `root` or below it. */
export function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  // "..name" is a file inside; only ".." itself or "../..." leaves.
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Why `file` may not be read under the workspace root `root`, or undefined when it may:
 * the path, after every symlink, must stay inside the root's real path.
 */
export function outsideWorkspace(file: string, root: string): string | undefined {
  const real = realpathNearest(file);
  const realRoot = realpathNearest(root);
  if (isInside(real, realRoot)) return undefined;
  const via = real !== path.resolve(file) ? ` (through a symlink, to ${real})` : '';
  return `resolves outside the workspace ${realRoot}${via}`;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/**
 * Checks everything that can be checked by path: containment, file type, size. Returns the
 * real path to open and the stat to compare the descriptor with.
 */
export function checkRegularFile(file: string, opts: ReadOptions): { real: string; stat: fs.Stats } {
  const policy = opts.policy ?? currentReadPolicy();
  if (policy) {
    const why = refusal(file, policy);
    if (why) throw new InputError(`the ${opts.what} ${why}; refused (allow it with --allow-outside-workspace or the machine setting modelPrivacy.allowOutsideWorkspace)`, { file });
  }
  let real: string;
  let stat: fs.Stats;
  try {
    real = fs.realpathSync(file);
    // stat, not lstat: realpath has followed every link, so this is the file itself.
    stat = fs.statSync(real);
  } catch (e) {
    throw new InputError(`cannot read the ${opts.what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  if (!stat.isFile()) throw new InputError(`expected the ${opts.what} to be a regular file, found ${kindOf(stat)}`, { file });
  if (PSEUDO_FS.some((dir) => isInside(real, dir))) {
    throw new InputError(`the ${opts.what} resolves to ${real}, a kernel file (under /proc, /sys or /dev); only regular files on disk are read`, { file });
  }
  if (stat.size > opts.maxBytes) throw tooLarge(stat.size, file, opts);
  return { real, stat };
}

function tooLarge(size: number, file: string, opts: ReadOptions): InputError {
  const message = opts.tooLarge?.(size) ?? `the ${opts.what} is ${formatBytes(size)}, over its ${formatBytes(opts.maxBytes)} read cap; not read`;
  return new InputError(message, { file });
}

/** O_NONBLOCK: should a FIFO appear at the path after the check, open() returns instead of waiting for a writer. */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** The descriptor must be the file that was checked: same device and inode, still a regular file within the cap. */
function checkOpened(fd: number, checked: { real: string; stat: fs.Stats }, file: string, opts: ReadOptions): number {
  // Where the descriptor really points (Linux): a folder on the way swapped for a symlink after realpath shows here.
  const policy = opts.policy ?? currentReadPolicy();
  if (policy && !policy.allowOutside) {
    let opened: string | undefined;
    try {
      opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      opened = undefined; // no /proc: the dev/ino comparison below still holds
    }
    if (opened !== undefined && refusal(opened, policy) !== undefined) {
      throw new InputError(`the ${opts.what} opened as ${opened}, outside the workspace; refused`, { file });
    }
  }
  const now = fs.fstatSync(fd);
  if (!now.isFile() || now.dev !== checked.stat.dev || now.ino !== checked.stat.ino) {
    throw new InputError(`the ${opts.what} changed while it was being opened; not read`, { file });
  }
  if (now.size > opts.maxBytes) throw tooLarge(now.size, file, opts);
  return now.size;
}

/** Reads at most `size` bytes: a file that grows after fstat cannot push the read past the cap. */
function readUpTo(fd: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, out, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? out : out.subarray(0, done);
}

/** The whole file, under every check above. */
export function readRegularFileSync(file: string, opts: ReadOptions): Buffer {
  const checked = checkRegularFile(file, opts);
  let fd: number;
  try {
    fd = fs.openSync(checked.real, OPEN_FLAGS);
  } catch (e) {
    throw new InputError(`cannot open the ${opts.what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  try {
    return readUpTo(fd, checkOpened(fd, checked, file, opts));
  } finally {
    fs.closeSync(fd);
  }
}

/** As readRegularFileSync, reading without blocking the event loop. */
export async function readRegularFile(file: string, opts: ReadOptions): Promise<Buffer> {
  const checked = checkRegularFile(file, opts);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(checked.real, OPEN_FLAGS);
  } catch (e) {
    throw new InputError(`cannot open the ${opts.what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  try {
    const size = checkOpened(handle.fd, checked, file, opts);
    const out = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(out, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? out : out.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** A folder to list, under the same containment rule (its entries are then read one by one with the checks above). */
export function checkFolder(dir: string, what: string, policy = currentReadPolicy()): void {
  if (policy) {
    const why = refusal(dir, policy);
    if (why) throw new InputError(`the ${what} ${why}; refused (allow it with --allow-outside-workspace or the machine setting modelPrivacy.allowOutsideWorkspace)`, { file: dir });
  }
  const real = realpathNearest(dir);
  if (PSEUDO_FS.some((d) => isInside(real, d))) {
    throw new InputError(`the ${what} resolves to ${real}, a kernel folder (under /proc, /sys or /dev); only regular files on disk are read`, { file: dir });
  }
}
