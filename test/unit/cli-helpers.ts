/** Runs the CLI from source the way a user would, for the cli-*.test.ts files. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export function cli(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tmpDir(prefix = 'mpl-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A copy of a folder (the shared fixtures must stay untouched). */
export function copyDir(from: string, prefix = 'mpl-cli-copy-'): string {
  const to = tmpDir(prefix);
  fs.cpSync(from, to, { recursive: true });
  return to;
}
