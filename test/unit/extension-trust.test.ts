/**
 * Restricted Mode, checked in code: every command that would load or evaluate a model
 * refuses with a reason and a "Manage Workspace Trust" action, and never asks for the
 * engine. Runs the command modules against a minimal stand-in for the `vscode` module,
 * in a second; test/integration/restricted-mode.untrusted.test.ts checks the same in a
 * real VS Code opened in Restricted Mode.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';

interface Shown {
  kind: 'warning' | 'info' | 'error';
  message: string;
  actions: string[];
}

const shown: Shown[] = [];
const executed: string[] = [];
let trusted = false;

class FakeUri {
  constructor(readonly fsPath: string) {}
  static file(p: string): FakeUri {
    return new FakeUri(p);
  }
  toString(): string {
    return `file://${this.fsPath}`;
  }
}

class FakeEventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

const message = (kind: Shown['kind']) => (text: string, ...actions: string[]) => {
  shown.push({ kind, message: text, actions });
  return Promise.resolve(undefined);
};

const fakeVscode = {
  Uri: FakeUri,
  EventEmitter: FakeEventEmitter,
  workspace: {
    get isTrusted() {
      return trusted;
    },
    workspaceFolders: [{ uri: FakeUri.file('/ws') }],
    asRelativePath: (p: string | FakeUri) => String(typeof p === 'string' ? p : p.fsPath),
  },
  window: {
    showWarningMessage: message('warning'),
    showInformationMessage: message('info'),
    showErrorMessage: message('error'),
    activeTextEditor: undefined,
  },
  commands: {
    executeCommand: (id: string) => {
      executed.push(id);
      return Promise.resolve(undefined);
    },
  },
};

type ModuleWithLoad = typeof Module & { _load(request: string, parent: unknown, isMain: boolean): unknown };
const moduleInternals = Module as ModuleWithLoad;
const originalLoad = moduleInternals._load;

before(() => {
  moduleInternals._load = function (request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? fakeVscode : originalLoad.call(this, request, parent, isMain);
  };
});

after(() => {
  moduleInternals._load = originalLoad;
});

/** A context whose engine must never be asked for: reaching it in Restricted Mode is the bug. */
function restrictedCtx() {
  const calls: string[] = [];
  const snapshot = {
    done: true,
    manifests: [{ path: '/ws/privacy-audit.json', uri: 'file:///ws/privacy-audit.json', outline: { incomplete: false, audits: [] } }],
    models: [{ path: '/ws/model/model.json', uri: 'file:///ws/model/model.json', format: 'tfjs', auditable: true, unsafe: false }],
    datasets: [],
  };
  const ctx = {
    detector: { snapshot: () => snapshot, ready: async () => snapshot, rescan: async () => snapshot },
    results: { onDidChange: () => ({ dispose() {} }), all: () => [] },
    requireClient: async () => {
      calls.push('requireClient');
      throw new Error('the engine was asked for in Restricted Mode');
    },
    get client() {
      calls.push('client');
      return undefined;
    },
    log: { info() {}, warn() {}, error() {}, show() {} },
  };
  return { ctx, calls };
}

function lastRefusal(): Shown {
  const last = shown.at(-1);
  assert.ok(last, 'a message was shown');
  return last;
}

test('in Restricted Mode audit, sweep, report and create-manifest refuse with the reason and a trust action', async () => {
  trusted = false;
  const { auditCommand } = await import('../../src/extension/commands/audit');
  const { sweepCommand } = await import('../../src/extension/commands/sweep');
  const { createManifestCommand } = await import('../../src/extension/commands/create-manifest');
  const { ReportOpener } = await import('../../src/extension/commands/open-report');
  const { ctx, calls } = restrictedCtx();
  const anyCtx = ctx as never;

  const runs: [string, () => Promise<unknown>][] = [
    ['audit (explorer)', () => auditCommand(anyCtx, FakeUri.file('/ws/privacy-audit.json'))],
    ['audit (palette)', () => auditCommand(anyCtx)],
    ['sweep', () => sweepCommand(anyCtx)],
    ['create manifest', () => createManifestCommand(anyCtx, { target: '/ws' })],
    ['open report', () => new ReportOpener(anyCtx).command({ reportKey: '/ws/privacy-audit.json' })],
  ];
  for (const [name, run] of runs) {
    shown.length = 0;
    const result = await run();
    assert.ok(result === undefined || result === false, `${name} returned ${String(result)}`);
    const refusal = lastRefusal();
    assert.equal(refusal.kind, 'warning', name);
    assert.match(refusal.message, /Restricted Mode/, name);
    assert.match(refusal.message, /loads and runs the workspace's models/, name);
    assert.deepEqual(refusal.actions, ['Manage Workspace Trust'], name);
    // The same reason is readable through the extension's API (lastRestrictedNotice).
    const { lastRestrictedNotice } = await import('../../src/extension/trust');
    assert.equal(lastRestrictedNotice()?.message, refusal.message, name);
  }
  assert.deepEqual(calls.filter((c) => c === 'requireClient'), [], 'no command asked for the engine');
});

test('the trust action opens VS Code\'s Workspace Trust editor', async () => {
  trusted = false;
  const { explainRestricted } = await import('../../src/extension/trust');
  const original = fakeVscode.window.showWarningMessage;
  fakeVscode.window.showWarningMessage = (text: string, ...actions: string[]) => {
    shown.push({ kind: 'warning', message: text, actions });
    return Promise.resolve(actions[0] as never);
  };
  try {
    executed.length = 0;
    explainRestricted('Auditing membership risk');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(executed, ['workbench.trust.manage']);
  } finally {
    fakeVscode.window.showWarningMessage = original;
  }
});

test('once trusted, the audit command goes on to ask for the engine', async () => {
  trusted = true;
  const { auditCommand } = await import('../../src/extension/commands/audit');
  const { ctx, calls } = restrictedCtx();
  await assert.rejects(auditCommand(ctx as never, FakeUri.file('/ws/privacy-audit.json')), /asked for/);
  assert.deepEqual(calls, ['requireClient']);
});
