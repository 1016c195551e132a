/**
 * Reads the start of a file named like a possible pickle (.bin, .dat, no extension) and asks
 * the engine's sniffer whether a loader could unpickle it. Only the first bytes are read,
 * so a multi-GB raw weights file costs one small read. Local files only: a virtual
 * workspace's file is not sniffed (and not listed).
 */
import { constants, promises as fs } from 'node:fs';
import { mayHoldPickle, SNIFF_BYTES } from '../../engine/scan/sniff';

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
    return mayHoldPickle(head.subarray(0, bytesRead), stat.size > bytesRead);
  } catch {
    // Deleted between the listing and the read, or unreadable: the watcher reports changes.
    return false;
  } finally {
    await handle?.close();
  }
}
