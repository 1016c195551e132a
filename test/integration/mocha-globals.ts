/**
 * Typed access to the mocha globals the harness's runner installs before it loads each
 * test file (the project has no @types/mocha, and global declarations would leak into
 * the node:test unit tests).
 */
export interface TestContext {
  timeout(ms: number): void;
}

type TestFn = (this: TestContext) => unknown;

interface MochaGlobals {
  describe(title: string, fn: () => void): void;
  it(title: string, fn: TestFn): void;
  before(fn: TestFn): void;
  after(fn: TestFn): void;
}

const mocha = globalThis as unknown as MochaGlobals;

export const describe = mocha.describe;
export const it = mocha.it;
export const before = mocha.before;
export const after = mocha.after;
