// Which lines of a server's log say why it exited. A start log is mostly noise (vLLM prints its
// arguments and a traceback, llama-server its system info); the user needs the line that names the
// cause and the one that says how it ended. Like the port-in-use markers in service-errors.ts, this
// inspects text because a server tells us why it exited through its log only.

/** An uncaught exception's last line: Python's `ValueError: ...` (any dotted class name), Go's `Error: ...`. */
const EXCEPTION = /^(?:[A-Za-z_][\w.]*)?(?:Error|Exception)(?::|$)/;
/** Lines that name the cause outright: the exception, llama.cpp's `error loading model: ...`. */
const CAUSE = [EXCEPTION, /\berror loading model\b/i];
/** Lines that report a failure, e.g. llama-server's closing `exiting due to model loading error`. */
const FAILURE = /\b(error|failed|fatal|panic)\b/i;
/** llama.cpp's `0.00.029.739 E ` time-and-level prefix: noise on screen, and it makes repeats look distinct. */
const LLAMA_PREFIX = /^\d+(?:\.\d+)+ [A-Z] /;

const MAX_CAUSES = 3;
const MAX_CHARS = 200;

function clean(line: string): string {
  const text = line.replace(LLAMA_PREFIX, '').replace(/\s+/g, ' ').trim();
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
}

/** The last `max` distinct lines that pass `keep`, in log order. */
function lastDistinct(lines: readonly string[], keep: (raw: string) => boolean, max: number): number[] {
  const seen = new Set<string>();
  const picked: number[] = [];
  for (let i = lines.length - 1; i >= 0 && picked.length < max; i--) {
    const raw = lines[i]!;
    if (!keep(raw) || seen.has(clean(raw))) continue;
    seen.add(clean(raw));
    picked.unshift(i);
  }
  return picked;
}

/**
 * The few lines of `tail` (the log since this start) that explain the exit: the last lines naming the
 * cause (an exception, `error loading model`), plus the last failure line after them (how it ended);
 * without such lines the last failure lines, else the last lines. At most four, cleaned, in log order.
 */
export function linesExplainingExit(tail: readonly string[]): string[] {
  const lines = tail.filter((l) => l.trim() !== '');
  const isCause = (raw: string) => CAUSE.some((re) => re.test(raw.replace(LLAMA_PREFIX, '')));
  const isFailure = (raw: string) => FAILURE.test(raw);
  let picked = lastDistinct(lines, isCause, MAX_CAUSES);
  if (picked.length > 0) {
    const last = picked.at(-1)!;
    const ending = lastDistinct(lines.slice(last + 1), isFailure, 1).map((i) => i + last + 1);
    picked = [...picked, ...ending.filter((i) => !picked.some((p) => clean(lines[p]!) === clean(lines[i]!)))];
  } else {
    picked = lastDistinct(lines, isFailure, MAX_CAUSES);
    if (picked.length === 0) picked = lastDistinct(lines, () => true, MAX_CAUSES);
  }
  return picked.map((i) => clean(lines[i]!));
}
