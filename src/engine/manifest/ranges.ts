/**
 * Offsets in the manifest text -> LSP-style ranges. Offsets are string (UTF-16) indices,
 * the unit jsonc-parser and VS Code's TextDocument use; line breaks are \n, \r\n or \r.
 */
import { findNodeAtLocation, type Node } from 'jsonc-parser';
import type { TextRange } from '../report/schema';
import type { JsonPath } from './types';

/** Offsets at which each line starts; built once per text, then binary-searched. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10 /* \n */) {
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): { line: number; character: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: at - this.starts[lo]! };
  }

  range(offset: number, length: number): TextRange {
    const start = Math.max(0, Math.min(offset, this.text.length));
    const end = Math.max(start, Math.min(offset + length, this.text.length));
    return { start: this.position(start), end: this.position(end), offset: start, length: end - start };
  }
}

export function offsetToTextRange(text: string, offset: number, length: number): TextRange {
  return new LineIndex(text).range(offset, length);
}

/** Where each part of a parsed manifest is, so problems and findings land on the exact key or value. */
export class ManifestRanges {
  private readonly lines: LineIndex;

  constructor(readonly text: string, private readonly root: Node | undefined) {
    this.lines = new LineIndex(text);
  }

  /**
   * 'value' (default): the whole value at the path, quotes included for strings.
   * 'key': the property name, quotes included; undefined for array elements and the root,
   * which have no key.
   */
  rangeOf(path: JsonPath, part: 'key' | 'value' = 'value'): TextRange | undefined {
    const node = this.nodeAt(path);
    if (!node) return undefined;
    if (part === 'value') return this.lines.range(node.offset, node.length);
    const keyNode = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return keyNode ? this.lines.range(keyNode.offset, keyNode.length) : undefined;
  }

  /**
   * Where to report something about the object or array at the path as a whole without
   * covering all of it: its key when it has one, else its opening bracket.
   */
  anchorOf(path: JsonPath): TextRange | undefined {
    const key = this.rangeOf(path, 'key');
    if (key) return key;
    const node = this.nodeAt(path);
    return node ? this.lines.range(node.offset, Math.min(node.length, 1)) : undefined;
  }

  rangeAt(offset: number, length: number): TextRange {
    return this.lines.range(offset, length);
  }

  /** The parsed node at the path (jsonc-parser's tree), for callers that walk the tree. */
  nodeAt(path: JsonPath): Node | undefined {
    if (!this.root) return undefined;
    return path.length === 0 ? this.root : findNodeAtLocation(this.root, path);
  }
}
