// Package an extension folder into a .vsix with @vscode/vsce from the cache.
// vsce 4 needs Node >= 22, so it runs on the cached Node 24. It works offline once the
// extension's package.json has `repository` and a LICENSE file exists.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertProvisioned, NODE24_BIN, node24Env, VSCE_BIN } from './paths.mjs';

/**
 * packageVsix({ extensionPath, outFile, dependencies = false }) -> Promise<outFile>
 * dependencies: false passes --no-dependencies (no `npm list` walk; for bundled extensions).
 */
export async function packageVsix({ extensionPath, outFile, dependencies = false }) {
  assertProvisioned();
  const out = path.resolve(outFile);
  mkdirSync(path.dirname(out), { recursive: true }); // vsce does not create it
  // README images are relative (docs/images, shipped in the package): keep the links as they are.
  const args = [VSCE_BIN, 'package', '--out', out, '--no-rewrite-relative-links'];
  if (!dependencies) args.push('--no-dependencies');
  const output = await new Promise((resolve, reject) => {
    // stdin closed: vsce would otherwise wait forever on a y/N prompt.
    const child = spawn(NODE24_BIN, args, { cwd: path.resolve(extensionPath), env: node24Env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`vsce package failed (exit ${code}):\n${text}`))));
  });
  if (!existsSync(out)) throw new Error(`vsce reported success but ${out} is missing:\n${output}`);
  return out;
}
