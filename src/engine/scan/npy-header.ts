/**
 * Just enough of an NPY header to know whether the array holds Python objects, whose data
 * is a pickle (numpy.save(allow_pickle=True)), and where that data starts.
 */
import { hasNpyMagic, readNpyPreamble } from '../artifacts/datasets/npy';

export function isNpy(head: Uint8Array): boolean {
  return hasNpyMagic(head);
}

export type NpyHeader =
  | { ok: true; descr: string; objectDtype: boolean; dataStart: number }
  | { ok: false; message: string };

export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  const preamble = readNpyPreamble(bytes);
  switch (preamble.kind) {
    case 'not-npy':
      return { ok: false, message: 'does not start with \\x93NUMPY' };
    case 'unsupported-version':
      return { ok: false, message: `unsupported NPY format version ${preamble.major}` };
    case 'truncated':
      return { ok: false, message: `truncated NPY header: it declares ${preamble.headerLength} bytes but ${bytes.length - preamble.headerStart} remain` };
  }
  const { header, dataStart } = preamble;
  const descr = /['"]descr['"]\s*:\s*(\[.*\]|(['"])[^'"]*\2)/s.exec(header)?.[1];
  if (descr === undefined) return { ok: false, message: `malformed NPY header: no 'descr' in ${JSON.stringify(header.trim().slice(0, 80))}` };
  // Plain 'O' / '|O', or an 'O' field inside a structured descr: either way the data is pickled.
  const objectDtype = /['"][|<>=]?O\d*['"]/.test(descr);
  return { ok: true, descr, objectDtype, dataStart };
}
