/**
 * Whether the first bytes of a file are something a loader could unpickle: a pickle (any
 * start opcode), a zip (torch, NPZ), an NPY array, a tar (old torch), or compressed data
 * (joblib). Pure and cheap: used to decide which files under names like .bin, .dat or
 * no extension at all are worth a full scan. The scan itself decides what they hold.
 */
import { compressionOf } from './compressed';
import { isNpy } from './npy-header';
import { hasProtocolHeader, scanPickleStreams } from './pickle-streams';
import { isTar } from './tar-archive';
import { isZip } from './zip-archive';

/** Bytes of a file's start that sniffing needs at most. */
export const SNIFF_BYTES = 64 * 1024;

export function mayHoldPickle(head: Uint8Array, fileIsLonger: boolean): boolean {
  if (head.length === 0) return false;
  if (isZip(head) || isNpy(head) || isTar(head) || compressionOf(head) !== undefined || hasProtocolHeader(head)) return true;
  const scan = scanPickleStreams('(sniff)', head, { mode: 'sniff', fileCapped: fileIsLonger });
  return scan.streams > 0 || scan.findings.length > 0;
}
