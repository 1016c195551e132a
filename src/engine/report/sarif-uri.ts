/**
 * File paths as SARIF URIs. SARIF wants RFC 3986 URI references with '/' separators,
 * percent-encoded; these helpers do that without depending on the platform the report
 * is rendered on (a report made on Windows may be rendered on Linux and vice versa).
 */

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || WINDOWS_DRIVE.test(p) || p.startsWith('\\\\');
}

/** Backslashes are treated as separators: report paths may come from Windows. */
function segments(p: string): string[] {
  return p.replace(/\\/g, '/').split('/');
}

/** A relative path as a relative URI reference, e.g. "data/a b.csv" -> "data/a%20b.csv". */
export function relativePathToUri(file: string): string {
  const parts = segments(file).filter((s, i) => !(s === '.' && i === 0) && s !== '');
  return parts.map(encodeURIComponent).join('/');
}

/** An absolute path as a file URI; a trailing '/' marks a directory (required for SARIF base ids). */
export function absolutePathToFileUri(p: string, directory = false): string {
  let host = '';
  let rest = p.replace(/\\/g, '/');
  if (rest.startsWith('//')) {
    // UNC path: //server/share/... -> file://server/share/...
    const [server = '', ...tail] = rest.slice(2).split('/');
    host = server;
    rest = `/${tail.join('/')}`;
  } else if (WINDOWS_DRIVE.test(rest)) {
    rest = `/${rest}`;
  }
  const encoded = rest
    .split('/')
    .filter((s, i, all) => s !== '' || i === 0 || i === all.length - 1)
    .map((s) => (/^[A-Za-z]:$/.test(s) ? s : encodeURIComponent(s)))
    .join('/');
  const withSlash = directory && !encoded.endsWith('/') ? `${encoded}/` : encoded;
  return `file://${encodeURIComponent(host)}${withSlash}`;
}
