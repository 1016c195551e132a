/**
 * Calls `onLine` with each line's text (UTF-8, BOM and \r stripped) and 1-based number.
 * Works line by line on the bytes because a large file does not fit in one JS string.
 */
export interface LineLimit {
  maxBytes: number;
  /** The error for a longer line (1-based line number, its length in bytes). */
  tooLong: (line: number, bytes: number) => Error;
}

export function forEachLine(bytes: Buffer, onLine: (text: string, line: number) => void, limit?: LineLimit): void {
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let line = 1; start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    // Checked on the bytes, before a string is made: a 200 MB line must cost nothing.
    if (limit && stop - start > limit.maxBytes) throw limit.tooLong(line, stop - start);
    onLine(bytes.toString('utf8', start, stop), line);
    start = end + 1;
  }
}
