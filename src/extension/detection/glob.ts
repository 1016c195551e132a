/**
 * A small glob matcher for `modelPrivacy.exclude`, applied to workspace-relative paths
 * with `/` separators: `**` spans folders, `*` and `?` stay inside one name, `{a,b}`
 * alternates (nested too), `[...]` is a character class. VS Code has no public matcher,
 * and file-watcher events must be filtered by the same rules findFiles used.
 */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${translate(glob)}$`);
}

function translate(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` matches everything below.
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 3 : 2;
      } else {
        out += '[^/]*';
        i += 1;
      }
    } else if (c === '?') {
      out += '[^/]';
      i += 1;
    } else if (c === '{') {
      const end = matchingBrace(glob, i);
      if (end < 0) {
        out += '\\{';
        i += 1;
        continue;
      }
      out += `(?:${splitTopLevel(glob.slice(i + 1, end)).map(translate).join('|')})`;
      i = end + 1;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        i += 1;
        continue;
      }
      const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      out += `[${body}]`;
      i = end + 1;
    } else {
      out += /[.+^$()|\\\]]/.test(c) ? `\\${c}` : c;
      i += 1;
    }
  }
  return out;
}

function matchingBrace(glob: string, open: number): number {
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

export class GlobSet {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.filter((g) => g.trim() !== '').map(globToRegExp);
  }

  /** `relativePath` uses `/` and is relative to its workspace folder. */
  matches(relativePath: string): boolean {
    return this.patterns.some((p) => p.test(relativePath));
  }
}

/**
 * findFiles takes one exclude pattern, and giving one drops `files.exclude`; so both
 * lists are merged (only the entries switched on; `when` clauses are not evaluated).
 */
export function combinedExclude(exclude: readonly string[], filesExclude: Readonly<Record<string, unknown>>): string[] {
  const fromFiles = Object.entries(filesExclude)
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
  return [...new Set([...exclude, ...fromFiles])].filter((g) => g.trim() !== '');
}

/**
 * The exclude pattern for findFiles: one brace group. VS Code's globs do not nest braces,
 * so globs that contain some are left out here; GlobSet filters the results by all of them.
 */
export function findFilesExclude(globs: readonly string[]): string | undefined {
  const flat = globs.filter((g) => !g.includes('{') && !g.includes(','));
  if (flat.length === 0) return undefined;
  return flat.length === 1 ? flat[0] : `{${flat.join(',')}}`;
}
