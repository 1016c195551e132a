/** Reading jsonc-parser trees of manifests: the parse options VS Code's JSON mode uses, and property lookup. */
import type { Node } from 'jsonc-parser';

export const JSONC_PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false };

export function property(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key);
}

export function propertyValue(object: Node, key: string): Node | undefined {
  return property(object, key)?.children?.[1];
}
