// What every real-VS-Code run of the extension needs first: a fresh build, the .vsix
// (packaged with vsce exactly as test/integration/run.mjs does), and a throwaway copy of
// examples/fashion-mnist. Shared by the end-to-end test and bench/extension.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVsix } from '../harness/package-vsix.mjs';
import { PROJECT_ROOT, TEST_OUTPUT_DIR } from '../harness/paths.mjs';

/** `node esbuild.mjs`: the extension, engine, worker and webview bundles in dist/. */
export function buildExtension(log = console.log) {
  log('building dist/ (node esbuild.mjs)');
  // esbuild's output goes to stderr: the benchmark keeps stdout for its JSON line.
  const result = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${result.status})`);
}

/** The .vsix a user would install; `name` keeps concurrent runners from sharing one file. */
export async function packageExtension(name, log = console.log) {
  log('packaging the extension with vsce');
  return packageVsix({ extensionPath: PROJECT_ROOT, outFile: path.join(TEST_OUTPUT_DIR, `${name}.vsix`) });
}

/**
 * A copy of the example in a temp folder, without the results a CLI run may have left
 * (privacy-report/, .privacy-lint-cache/): every run starts from a never-audited model.
 * schemas/ is copied beside it as in the repository, so the manifest's relative
 * "$schema" resolves (else VS Code's JSON support warns about it in the Problems panel).
 * Returns { workspace, remove() }.
 */
export function exampleWorkspace(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mpl-${prefix}-`));
  const workspace = path.join(dir, 'examples/fashion-mnist');
  cpSync(path.join(PROJECT_ROOT, 'examples/fashion-mnist'), workspace, {
    recursive: true,
    filter: (src) => !/[\\/](privacy-report|\.privacy-lint-cache)([\\/]|$)/.test(src),
  });
  cpSync(path.join(PROJECT_ROOT, 'schemas'), path.join(dir, 'schemas'), { recursive: true });
  return { workspace, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An empty folder to open: nothing in it activates the extension. Returns { workspace, remove() }. */
export function emptyWorkspace(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mpl-${prefix}-`));
  const workspace = path.join(dir, 'empty-workspace');
  mkdirSync(workspace);
  return { workspace, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
