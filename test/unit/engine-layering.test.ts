/**
 * The engine's layers depend one way: no cycle between its top-level folders (audit,
 * defenses, shadow, queue, attacks, metrics, artifacts, manifest, report, scan, backend,
 * workers, ...) or its root files. The orchestrator (audit) depends on the pieces, never
 * the reverse; a cycle found is listed with the imports that make it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  cycleThrough,
  cyclicComponents,
  describeCycle,
  fileImports,
  layerGraph,
  type ImportEdge,
  type LayerGraph,
} from '../helpers/import-graph';

const ENGINE = path.resolve(__dirname, '../../src/engine');

function cyclesOf(graph: LayerGraph): string[] {
  return cyclicComponents(graph).map((component) => {
    const cycle = cycleThrough(graph, component[0]!, component);
    return `layers {${component.join(', ')}} form a cycle, e.g.\n${describeCycle(graph, cycle)}`;
  });
}

test('the cycle finder finds and names a cycle in a made-up graph, and none in a layered one', () => {
  const edges = (pairs: [string, string][]): ImportEdge[] => pairs.map(([from, to]) => ({ from, to }));
  const f = (p: string) => p.split('/').join(path.sep);
  const cyclic = layerGraph(edges([
    [f('audit/run.ts'), f('defenses/evaluate.ts')],
    [f('defenses/evaluate.ts'), f('audit/findings.ts')],
    [f('defenses/evaluate.ts'), f('metrics/auc.ts')],
    [f('shadow/index.ts'), f('queue/run.ts')],
    [f('queue/run.ts'), f('shadow/pool.ts')],
  ]));
  const found = cyclesOf(cyclic);
  assert.equal(found.length, 2, found.join('\n'));
  assert.match(found.join('\n'), /layers \{audit, defenses\} form a cycle/);
  assert.match(found.join('\n'), /defenses\/evaluate\.ts imports audit\/findings\.ts/);
  assert.match(found.join('\n'), /layers \{queue, shadow\} form a cycle/);
  const layered = layerGraph(edges([
    [f('audit/run.ts'), f('defenses/evaluate.ts')],
    [f('defenses/evaluate.ts'), f('metrics/auc.ts')],
    [f('audit/run.ts'), f('metrics/auc.ts')],
    [f('errors.ts'), f('errors-format.ts')],
  ]));
  assert.deepEqual(cyclesOf(layered), []);
});

test('the engine\'s top-level folders import each other without a cycle', () => {
  const edges = fileImports(ENGINE);
  const graph = layerGraph(edges);
  // Not vacuous: the parser sees the engine's imports, including lazy require() calls.
  assert.ok(edges.length > 300, `only ${edges.length} imports found in src/engine`);
  for (const [from, to] of [['audit', 'defenses'], ['audit', 'shadow'], ['queue', 'shadow'], ['defenses', 'shadow'], ['workers', 'defenses']]) {
    assert.ok(graph.get(from!)?.has(to!), `expected ${from} to import ${to}`);
  }
  const cycles = cyclesOf(graph);
  assert.deepEqual(cycles, [], `import cycles between engine layers:\n${cycles.join('\n\n')}`);
});

test('the engine imports nothing outside itself but src/shared and the manifest schema (not the server, extension or CLI)', () => {
  const allowed = [path.join('..', 'shared') + path.sep, path.join('..', '..', 'schemas') + path.sep];
  const outside = fileImports(ENGINE).filter((e) => e.to.startsWith('..'));
  assert.ok(outside.length > 0, 'the engine does import src/shared');
  const wrong = outside.filter((e) => !allowed.some((a) => e.to.startsWith(a)));
  assert.deepEqual(wrong.map((e) => `${e.from} imports ${e.to}`), []);
});
