// A config file is UTF-8 or it is refused: decoding with replacement characters would turn a Latin-1
// "é" in a model name into "�" and send a model id nobody has, far from the file that caused it.
import { AcodeError } from './errors.js';
import { formatProblem, type ConfigProblem } from './problems.js';

const strict = () => new TextDecoder('utf-8', { fatal: true });

// The shortest prefix that is already invalid (an incomplete trailing sequence is not: stream mode
// waits for more), found by bisection; invalidity of a prefix carries over to every longer one.
function firstRejectedByte(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    try {
      strict().decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

// The byte the user must fix: the lead byte of the broken sequence (a Latin-1 "é" is rejected only at
// the byte after it), or the rejected byte itself when it starts nothing.
function firstInvalidByte(bytes: Uint8Array): number {
  const rejected = firstRejectedByte(bytes);
  for (let back = 1; back <= 3 && rejected - back >= 0; back++) {
    const byte = bytes[rejected - back] ?? 0;
    if (byte >= 0xc0) {
      const continuations = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
      return back - 1 < continuations ? rejected - back : rejected;
    }
    if (byte < 0x80) break;
  }
  return rejected;
}

// 1-based line and column of a byte offset; the column counts characters, as editors show it.
function positionOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset));
  return { line, column: [...before].length + 1 };
}

/** The file's text; CONFIG_INVALID naming the line and column of the first byte that is not UTF-8. */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  try {
    return strict().decode(bytes);
  } catch {
    const offset = Math.min(firstInvalidByte(bytes), bytes.length - 1);
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    const problem: ConfigProblem = {
      file,
      ...positionOf(bytes, offset),
      path: '(encoding)',
      message: `byte 0x${byte} is not valid UTF-8 (the file looks saved in another encoding, e.g. Latin-1)`,
    };
    return refuse(file, problem);
  }
}

function refuse(file: string, problem: ConfigProblem): never {
  throw new AcodeError(
    'CONFIG_INVALID',
    `${file} is not UTF-8 text:\n  ${formatProblem(problem)}`,
    `Save ${file} as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`), then run \`acode config validate\` to check again.`,
    { details: { file, errors: [problem] } },
  );
}
