// Spawning a child as its own process group and killing the whole group reliably.
// code-server forks an extension host, file watchers and pty hosts that outlive a plain
// SIGTERM of the parent by a few seconds, so we always signal the group.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { onExitCleanup } from './exit-cleanup.mjs';

// pgid -> unregister function of its last-resort SIGKILL.
const liveGroups = new Map();

/** spawn() with detached: true, which calls setsid(): the child leads a new group. */
export function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) liveGroups.set(pgid, onExitCleanup(() => signalGroup(pgid, 'SIGKILL')));
  return child;
}

/** Pids of the group that are still running; zombies are ignored because PID 1 here
 *  may be slow to reap orphans, and a zombie holds no resources worth waiting for. */
export function livePidsInGroup(pgid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we were looking
    }
    // Fields after the "(comm)" that may contain spaces: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGroupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (livePidsInGroup(pgid).length === 0) return true;
    await sleep(100);
  }
  return livePidsInGroup(pgid).length === 0;
}

/** SIGTERM the group, then SIGKILL whatever is left after graceMs. Resolves when gone. */
export async function killGroup(pgid, { graceMs = 4000 } = {}) {
  signalGroup(pgid, 'SIGTERM');
  let gone = await waitGroupGone(pgid, graceMs);
  if (!gone) {
    signalGroup(pgid, 'SIGKILL');
    gone = await waitGroupGone(pgid, 3000);
  }
  if (!gone) throw new Error(`process group ${pgid} still has live processes: ${livePidsInGroup(pgid).join(' ')}`);
  liveGroups.get(pgid)?.();
  liveGroups.delete(pgid);
}
