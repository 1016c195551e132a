/**
 * Checks and decodes what the webview sends for saving. The webview is our code, but its
 * messages are still input: a file name must not steer the save dialog outside the folder
 * we propose, and only a real PNG may be written as one.
 */

const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Far above any chart canvas; stops a runaway message from filling the disk. */
const MAX_EXPORT_BYTES = 64 * 1024 * 1024;

/** The PNG bytes of a canvas data URL; throws when it is not a base64 PNG. */
export function decodePngDataUrl(dataUrl: string): Uint8Array {
  if (!dataUrl.startsWith(PNG_DATA_URL_PREFIX)) throw new Error('The chart image is not a PNG data URL.');
  const base64 = dataUrl.slice(PNG_DATA_URL_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new Error('The chart image is not valid base64.');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > MAX_EXPORT_BYTES) throw new Error('The chart image is too large to save.');
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error('The chart image does not start with a PNG signature.');
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function encodeTextExport(content: string): Uint8Array {
  const bytes = Buffer.from(content, 'utf8');
  if (bytes.length > MAX_EXPORT_BYTES) throw new Error('The export is too large to save.');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * A suggested name reduced to one path segment of safe characters, with the expected
 * extension; `fallback` when nothing usable remains.
 */
export function safeExportFileName(name: string, extension: 'png' | 'csv' | 'json', fallback = 'privacy-report'): string {
  const base = name
    .replace(/\.[A-Za-z0-9]+$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 120);
  return `${base || fallback}.${extension}`;
}
