/**
 * Whether a file named like a possible pickle (.bin, .dat, no extension) is worth listing
 * as one: its first 64 KiB are checked for what a loader could unpickle. The check is
 * deliberately light (the extension host bundles no scanner: see extension-bundle.test.ts);
 * the engine's scan of every listed file gives the verdict. Only the first bytes are read,
 * so a multi-GB raw weights file costs one small read; local files only.
 */
import { constants, promises as fs } from 'node:fs';

const SNIFF_BYTES = 64 * 1024;

/** Opcodes a pickle stream can start with (pushes, MARK, FRAME, PROTO, GLOBAL, EXT, PERSID...). */
const START_OPCODES = new Set([...'(NIJKLMFGSTUVXBC}])cip\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x95\x96\x80\x82\x83\x84P'].map((c) => c.charCodeAt(0)));

/**
 * Imports as a pickle spells them: a GLOBAL/INST line pair, two short strings then
 * STACK_GLOBAL (with MEMOIZE/BINPUT between), two memo fetches then STACK_GLOBAL, or an
 * extension code then REDUCE. Random data (raw weights) essentially never matches.
 */
const IMPORT_SHAPES = [
  /[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/,
  /[\x8cX][\s\S]{1,4}?[A-Za-z_][\w.]+(?:\x94|q[\s\S])?[\x8cX][\s\S]{1,4}?[A-Za-z_][\w.]+(?:\x94|q[\s\S])?\x93/,
  /[SV][^\n]{1,64}\n(?:p\d+\n)?[SV][^\n]{1,64}\n(?:p\d+\n)?(?:\x80[\x00-\x05])?\x93/,
  /(?:h[\s\S]|j[\s\S]{4}|g\d+\n){2}\x93/,
  /(?:\x82[\s\S]|\x83[\s\S]{2}|\x84[\s\S]{4})[\x8cX][\s\S]{1,4}?[\x20-\x7e]{1,64}\x85R/,
];

export function mayHoldPickle(head: Uint8Array): boolean {
  if (head.length < 2) return false;
  const [a, b, c, d] = head;
  const magic =
    (a === 0x50 && b === 0x4b && (c === 3 || c === 5) && (d === 4 || d === 6)) || // zip (torch, NPZ)
    (a === 0x93 && String.fromCharCode(...head.subarray(1, 6)) === 'NUMPY') ||
    (head.length > 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar') || // tar (old torch)
    (a === 0x5a && b === 0x46 && /^ZF0x[0-9a-fA-F]+/.test(String.fromCharCode(...head.subarray(0, 12)))) || // joblib < 0.10
    (a === 0x1f && b === 0x8b) || ((a & 0x0f) === 8 && a >> 4 <= 7 && ((a << 8) | b) % 31 === 0) || // gzip, zlib
    (a === 0x42 && b === 0x5a) || (a === 0xfd && b === 0x37) || (a === 0x5d && b === 0) || // bz2, xz, lzma (joblib's prefixes)
    (a === 0x80 && b >= 2 && b <= 5); // protocol 2-5 header
  if (magic) return true;
  if (!START_OPCODES.has(a)) return false;
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  return IMPORT_SHAPES.some((shape) => shape.test(text));
}

export async function sniffPickle(file: string): Promise<boolean> {
  let handle;
  try {
    // Checked before opening (a FIFO would block the open) and again on the descriptor.
    if (!(await fs.stat(file)).isFile()) return false;
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile()) return false;
    const head = new Uint8Array(Math.min(SNIFF_BYTES, stat.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return mayHoldPickle(head.subarray(0, bytesRead));
  } catch {
    // Deleted between the listing and the read, or unreadable: the watcher reports changes.
    return false;
  } finally {
    await handle?.close();
  }
}
