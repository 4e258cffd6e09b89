// Writing one key back into .agent/config.yml: only that key changes, comments and formatting stay,
// and the file is replaced atomically (temp file in the same directory, fsync, rename).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isScalar, parseDocument, Scalar, stringify, type Document } from 'yaml';
import { AcodeError } from './errors.js';
import { formatPath, type KeyPath } from './yaml-nodes.js';

/** File operations the writer uses; tests replace one to simulate a crash between write and rename. */
export interface WriteIo {
  rename: (from: string, to: string) => Promise<void>;
}

const defaultIo: WriteIo = { rename: fs.rename };

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function valueAt(text: string, path: KeyPath): unknown {
  const doc = parseDocument(text);
  return doc.errors.length > 0 ? Symbol('unparseable') : doc.getIn(path);
}

// Splicing the new scalar into the original text keeps every other byte as the user wrote it;
// yaml's own toString() would also keep comments but may re-flow spacing and flow collections.
function spliceScalar(text: string, doc: Document, path: KeyPath, value: unknown): string | undefined {
  const node = doc.getIn(path, true);
  if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
  if (value !== null && typeof value === 'object') return undefined;
  const replacement = new Scalar(value);
  if (typeof value === 'string' && node.type !== undefined) replacement.type = node.type;
  const rendered = stringify(replacement).trimEnd();
  if (rendered.includes('\n')) return undefined;
  const [start, end] = node.range;
  return text.slice(0, start) + rendered + text.slice(end);
}

/** The new file text with `path` set to `value`; throws CONFIG_INVALID when the file is not YAML. */
export function setKeyInText(text: string, path: KeyPath, value: unknown, file = '<text>'): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new AcodeError(
      'CONFIG_INVALID',
      `${file} is not valid YAML, so ${formatPath(path)} cannot be written safely.`,
      'Run `acode config validate` and fix the reported lines first.',
      { details: { file } },
    );
  }
  const spliced = spliceScalar(text, doc, path, value);
  if (spliced !== undefined && isDeepStrictEqual(valueAt(spliced, path), value)) return spliced;
  // A new or comment-only file has no root mapping yet; setIn needs one to create the path in.
  const editable = doc as unknown as Document;
  if (editable.contents === null) editable.contents = editable.createNode({});
  editable.setIn(path, value);
  return editable.toString();
}

/** Replaces `file` with `text` so a reader sees either the old or the new content, never a mix. */
export async function writeFileAtomic(
  file: string,
  text: string,
  { signal, io = defaultIo }: { signal?: AbortSignal; io?: WriteIo } = {},
): Promise<void> {
  signal?.throwIfAborted();
  const dir = dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = await fs.stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  try {
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    signal?.throwIfAborted();
    await io.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    if ((error as { name?: string }).name === 'AbortError') throw error;
    throw new AcodeError(
      'CONFIG_WRITE_FAILED',
      `Could not write ${file}: ${(error as Error).message}. The previous file is unchanged.`,
      'Check that the directory is writable and the disk is not full, then run the command again.',
      { cause: error, details: { file } },
    );
  }
  // Persist the rename itself; best effort because not every filesystem allows fsync on a directory.
  await fs.open(dir, 'r').then(
    async (d) => {
      await d.sync().catch(() => undefined);
      await d.close();
    },
    () => undefined,
  );
}

/** Sets one key (e.g. ['providers', 'active']) in a config file, creating the file if needed. */
export async function setKey(
  file: string,
  path: KeyPath,
  value: unknown,
  { signal, io }: { signal?: AbortSignal; io?: WriteIo } = {},
): Promise<void> {
  const before = (await readIfExists(file)) ?? '';
  const after = setKeyInText(before, path, value, file);
  await writeFileAtomic(file, after, {
    ...(signal === undefined ? {} : { signal }),
    ...(io === undefined ? {} : { io }),
  });
}
