/**
 * Just enough of an NPY header to know whether the array holds Python objects, whose data
 * is a pickle (numpy.save(allow_pickle=True)), and where that data starts.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(head: Uint8Array): boolean {
  return head.length >= 10 && MAGIC.every((b, i) => head[i] === b);
}

export type NpyHeader =
  | { ok: true; descr: string; objectDtype: boolean; dataStart: number }
  | { ok: false; message: string };

export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (!isNpy(bytes)) return { ok: false, message: 'does not start with \\x93NUMPY' };
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start: number;
  let length: number;
  if (major === 1) {
    start = 10;
    length = view.getUint16(8, true);
  } else if ((major === 2 || major === 3) && bytes.length >= 12) {
    start = 12;
    length = view.getUint32(8, true);
  } else {
    return { ok: false, message: `unsupported NPY format version ${major}` };
  }
  if (start + length > bytes.length) return { ok: false, message: `truncated NPY header: it declares ${length} bytes but ${bytes.length - start} remain` };
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /['"]descr['"]\s*:\s*(\[.*\]|(['"])[^'"]*\2)/s.exec(header)?.[1];
  if (descr === undefined) return { ok: false, message: `malformed NPY header: no 'descr' in ${JSON.stringify(header.trim().slice(0, 80))}` };
  // Plain 'O' / '|O', or an 'O' field inside a structured descr: either way the data is pickled.
  const objectDtype = /['"][|<>=]?O\d*['"]/.test(descr);
  return { ok: true, descr, objectDtype, dataStart: start + length };
}
