/**
 * Properties written twice in one object. JSON parsers silently keep the last one, so a
 * duplicated "model" or "attacks" would audit something other than what the reader sees.
 */
import { getNodePath, type Node } from 'jsonc-parser';
import type { ManifestRanges } from './ranges';
import { subjectOf } from './wording';
import type { ManifestProblem } from './types';

export function duplicateKeyProblems(root: Node | undefined, value: unknown, ranges: ManifestRanges): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const keyNode = property.children?.[0];
        if (!keyNode || typeof keyNode.value !== 'string') continue;
        const first = seen.get(keyNode.value);
        if (first) {
          const line = ranges.rangeAt(first.offset, 0).start.line + 1;
          const objectPath = getNodePath(node);
          problems.push({
            message: `${subjectOf(objectPath, value)}: property "${keyNode.value}" is written twice (first on line ${line}); keep one, JSON readers would silently use the last.`,
            range: ranges.rangeAt(keyNode.offset, keyNode.length),
            severity: 'error',
            path: [...objectPath, keyNode.value],
          });
        } else {
          seen.set(keyNode.value, keyNode);
        }
      }
    }
    for (const child of node.children ?? []) visit(child);
  };
  if (root) visit(root);
  return problems;
}
