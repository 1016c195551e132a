// Start and stop a real VS Code (code-server) on a loopback port, fully isolated in a
// per-run temp folder. Recipe: /work/shared/docs/machine-notes.md (code-server section).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertProvisioned, CODE_SERVER_ENTRY, NODE24_BIN, node24Env } from './paths.mjs';
import { onExitCleanup } from './exit-cleanup.mjs';
import { killGroup, spawnGroup } from './process-group.mjs';

export const HOST = '127.0.0.1';

// Quiet, offline-friendly defaults; callers' userSettings override them.
const DEFAULT_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'github.gitAuthentication': false,
  'chat.disableAIFeatures': true,
};

// With workspaceTrust: Workspace Trust on, and a folder the profile has never trusted opens
// in Restricted Mode at once: no startup dialog (it is modal and would block the workbench
// until someone answers it). Checked with code-server 4.139.1 (VS Code 1.139).
export const WORKSPACE_TRUST_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
  'security.workspace.trust.untrustedFiles': 'open',
};

/** A free TCP port on 127.0.0.1 (the OS picks; the tiny reuse race is acceptable here). */
export function getFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Environment for code-server: Node 24 on PATH, XDG dirs of this run, and none of the
 *  VSCODE_* variables of a VS Code terminal we might be running in (they redirect IPC). */
function serverEnv(runDir, extra) {
  const env = node24Env({
    XDG_CONFIG_HOME: path.join(runDir, 'xdg/config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg/data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg/cache'),
    ...extra,
  });
  for (const key of Object.keys(env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  }
  return env;
}

/** `code-server --install-extension` for each .vsix (about 1 s each). */
export function installExtensions(vsixPaths, { userDataDir, extensionsDir, env }) {
  if (vsixPaths.length === 0) return Promise.resolve();
  const args = [CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  for (const vsix of vsixPaths) args.push('--install-extension', path.resolve(vsix));
  args.push('--force');
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      // Belt and braces: also look for the CLI's failure line, not only the exit code.
      if (code === 0 && !/Failed Installing/i.test(output)) resolve();
      else reject(new Error(`installing ${vsixPaths.join(', ')} failed (exit ${code}):\n${output}`));
    });
  });
}

async function waitForHealth(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms:\n${tail(logFile)}`);
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Start code-server. Options:
 *   smokeTestDriver  add `--vscode-option enable-smoke-test-driver` (needed for test payloads)
 *   vsix             .vsix files to install before starting
 *   userSettings     merged over DEFAULT_USER_SETTINGS into User/settings.json
 *   workspaceTrust   true: Workspace Trust on (no --disable-workspace-trust, plus
 *                    WORKSPACE_TRUST_SETTINGS), so the folder opens in Restricted Mode.
 *                    Default: whether userSettings sets security.workspace.trust.enabled
 *                    to true (so callers that only pass settings, like
 *                    runExtensionTests, can ask for it too)
 *   env              extra environment for the server (the extension host inherits it)
 *   healthTimeoutMs  how long to wait for /healthz
 *   keepRunDir       keep the temp folder (logs, profiles) after stop; or VSCODE_TEST_KEEP=1
 * Returns { host, port, url, runDir, userDataDir, extensionsDir, logFile, pid,
 *           remoteUri(absPath), folderUrl(folder, payload?), logTail(n), stop({ keep }) }.
 */
export async function startCodeServer(options = {}) {
  const {
    smokeTestDriver = false,
    vsix = [],
    userSettings = {},
    workspaceTrust = userSettings['security.workspace.trust.enabled'] === true,
    env = {},
    healthTimeoutMs = 60_000,
    keepRunDir = process.env.VSCODE_TEST_KEEP === '1',
  } = options;
  assertProvisioned();

  const runDir = mkdtempSync(path.join(os.tmpdir(), 'mpl-code-server-'));
  const forgetRunDir = keepRunDir ? () => {} : onExitCleanup(() => rmSync(runDir, { recursive: true, force: true }));
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  const logFile = path.join(runDir, 'code-server.log');
  for (const dir of ['xdg/config', 'xdg/data', 'xdg/cache', 'user-data/User', 'extensions']) {
    // user-data must exist up front, or the extension host's IPC socket fails with ENOENT.
    mkdirSync(path.join(runDir, dir), { recursive: true });
  }
  writeFileSync(
    path.join(userDataDir, 'User/settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...(workspaceTrust ? WORKSPACE_TRUST_SETTINGS : {}), ...userSettings }, null, 2),
  );
  const childEnv = serverEnv(runDir, env);
  try {
    await installExtensions(vsix, { userDataDir, extensionsDir, env: childEnv });
  } catch (err) {
    rmSync(runDir, { recursive: true, force: true });
    forgetRunDir();
    throw err;
  }

  const port = await getFreePort();
  const url = `http://${HOST}:${port}`;
  const args = [
    CODE_SERVER_ENTRY,
    '--bind-addr', `${HOST}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ];
  const logFd = openSync(logFile, 'a');
  const child = spawnGroup(NODE24_BIN, args, { cwd: runDir, env: childEnv, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const pid = child.pid;

  let stopping;
  const stop = ({ keep = keepRunDir } = {}) => {
    stopping ??= (async () => {
      if (pid !== undefined) await killGroup(pid);
      if (!keep) rmSync(runDir, { recursive: true, force: true });
      else console.log(`[harness] kept code-server run folder ${runDir}`);
      forgetRunDir();
    })();
    return stopping;
  };

  try {
    if (pid === undefined) throw new Error(`could not spawn ${NODE24_BIN}`);
    await waitForHealth(url, child, logFile, healthTimeoutMs);
  } catch (err) {
    await stop({ keep: true });
    throw err;
  }

  return {
    host: HOST,
    port,
    url,
    runDir,
    userDataDir,
    extensionsDir,
    logFile,
    pid,
    /** vscode-remote URI for a path on this machine, as the test payload expects it. */
    remoteUri: (absPath) => `vscode-remote://${HOST}:${port}${path.resolve(absPath)}`,
    /** Workbench URL opening `folder`; `payload` is a list of [key, value] pairs. */
    folderUrl: (folder, payload) => {
      const query = new URLSearchParams({ folder: path.resolve(folder) });
      if (payload) query.set('payload', JSON.stringify(payload));
      return `${url}/?${query}`;
    },
    logTail: (lines) => tail(logFile, lines),
    stop,
  };
}
