// Activation time, measured in a fresh extension host opened on an EMPTY folder: nothing
// there activates the extension (no model.json, no manifest), so this test activates it
// itself and times `extension.activate()`: loading dist/extension.js plus running
// activate(). The engine process starts in the background; how long it takes to be
// running is recorded too.
'use strict';

const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const { extension, recordResult, round } = require('./host.cjs');

describe('extension activation (fresh host, empty workspace)', () => {
  it('times extension.activate() and the engine start that follows', async function () {
    this.timeout(180_000);
    const ext = extension();
    assert.equal(ext.isActive, false, 'already active: the measurement needs a host where nothing activated it');

    const started = performance.now();
    const exported = await ext.activate();
    const activateMs = performance.now() - started;
    assert.ok(exported && typeof exported.engineSettled === 'function', 'activate() returned the API');

    const lifecycle = await exported.engineSettled(150_000);
    const engineRunningMs = performance.now() - started;
    assert.equal(lifecycle, 'running');

    recordResult({ activateMs: round(activateMs), engineRunningAfterActivateMs: round(engineRunningMs) });
  });
});
