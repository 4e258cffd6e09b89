// Maps a key path in the parsed data back to the YAML node it came from, so every problem can name
// a line and column. Uses the Document AST (not the plain JS), which keeps source ranges.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export type KeyPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

/** `providers.vllm.port`, `fallback[1]`: how a path reads in messages. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function findPair(node: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((item) => isPair(item) && keyText(item) === key) as Pair<Node, Node | null> | undefined;
}

function child(node: unknown, segment: string | number): Node | undefined {
  if (isSeq(node) && typeof segment === 'number') return node.items[segment] as Node | undefined;
  const pair = findPair(node, String(segment));
  return pair?.value ?? pair?.key ?? undefined;
}

function rangeStart(node: Node | null | undefined): number | undefined {
  return node?.range?.[0];
}

/** Offset of the value at `path`, or of the deepest ancestor that exists (never undefined for a real doc). */
export function valueOffset(doc: Document, path: KeyPath): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(doc.contents) ?? 0;
  for (const segment of path) {
    const next = child(node, segment);
    if (next === undefined) break;
    offset = rangeStart(next) ?? offset;
    node = next;
  }
  return offset;
}

/** Offset of the key `key` inside the mapping at `path` (where "unknown key" errors should point). */
export function keyOffset(doc: Document, path: KeyPath, key: string): number {
  let node: unknown = doc.contents;
  for (const segment of path) node = child(node, segment);
  const pair = findPair(node, key);
  return rangeStart(pair?.key) ?? valueOffset(doc, path);
}

/** Offset of the key that introduces the value at `path` (`vllm:` for providers.vllm). */
export function entryOffset(doc: Document, path: KeyPath): number {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return valueOffset(doc, path);
  return keyOffset(doc, path.slice(0, -1), last);
}

export function toPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
