// Last-resort cleanup when the harness process dies (Ctrl+C, CI timeout, uncaught error)
// before its finally blocks run: kill the process groups it started, remove temp folders.
// Normal runs unregister their entries through the regular stop() paths.

const tasks = new Set();
let installed = false;

/** Registers a synchronous cleanup; returns a function that unregisters it. Tasks run
 *  newest first, so a group spawned inside a folder is killed before the folder goes. */
export function onExitCleanup(task) {
  install();
  tasks.add(task);
  return () => tasks.delete(task);
}

function runAll() {
  for (const task of [...tasks].reverse()) {
    try {
      task();
    } catch {
      // best effort: the process is going away anyway
    }
  }
  tasks.clear();
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  // A signal listener replaces Node's default "die at once", so exit explicitly; the
  // 'exit' listener above then does the cleanup.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.once(signal, () => process.exit(code));
  }
}
