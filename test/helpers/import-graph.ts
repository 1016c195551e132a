/**
 * The import graph of a source folder, from the TypeScript compiler's own pre-parser
 * (ts.preProcessFile): static imports, `export ... from`, `import type`, dynamic
 * `import()` and `require()` calls, so a lazy require still counts as a dependency.
 * Folded onto the folder's top-level sub-folders, it shows how its layers depend on
 * each other; files directly in the folder form the node "(root)".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Importing file, relative to the root. */
  from: string;
  /** Imported file, relative to the root. */
  to: string;
}

/** Top-level folder -> folders it imports, with the file-level imports behind each arrow. */
export type LayerGraph = Map<string, Map<string, ImportEdge[]>>;

export const ROOT_NODE = '(root)';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The file a relative specifier names: x.ts, x/index.ts, or x itself (e.g. ./a.json). */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

export function fileImports(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue; // packages and node: builtins are not layers
      const target = resolveSpecifier(file, fileName);
      if (target === undefined) throw new Error(`${path.relative(root, file)}: cannot resolve import "${fileName}"`);
      edges.push({ from: path.relative(root, file), to: path.relative(root, target) });
    }
  }
  return edges;
}

export function layerOf(relativeFile: string): string {
  const parts = relativeFile.split(path.sep);
  return parts.length > 1 ? parts[0]! : ROOT_NODE;
}

export function layerGraph(edges: readonly ImportEdge[]): LayerGraph {
  const graph: LayerGraph = new Map();
  for (const e of edges) {
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.has(b)) graph.set(b, new Map());
    if (a === b || e.to.startsWith('..')) continue;
    const targets = graph.get(a)!;
    if (!targets.has(b)) targets.set(b, []);
    targets.get(b)!.push(e);
  }
  return graph;
}

/** Strongly connected components with more than one node (Tarjan): each holds at least one cycle. */
export function cyclicComponents(graph: LayerGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components;
}

/** One shortest cycle through `start` inside its component, as layer names (first = last). */
export function cycleThrough(graph: LayerGraph, start: string, component: readonly string[]): string[] {
  const inside = new Set(component);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [];
}

/** "a -> b -> a" with, under each arrow, the files that make it (at most 3 per arrow). */
export function describeCycle(graph: LayerGraph, cycle: readonly string[]): string {
  const lines = [cycle.join(' -> ')];
  for (let i = 0; i + 1 < cycle.length; i++) {
    const edges = graph.get(cycle[i]!)?.get(cycle[i + 1]!) ?? [];
    lines.push(`  ${cycle[i]} -> ${cycle[i + 1]}:`, ...edges.slice(0, 3).map((e) => `    ${e.from} imports ${e.to}`));
    if (edges.length > 3) lines.push(`    ... and ${edges.length - 3} more`);
  }
  return lines.join('\n');
}
