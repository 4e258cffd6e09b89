// What a loading server's log says about its progress: huggingface_hub's download bars, vLLM's shard
// loading bar and its load / engine-init log lines. vLLM refuses connections until it has loaded, so
// its log is the only sign of life a start has (docs/protocols.md §2.1). Pure: text in, progress out.

export type LoadPhase = 'download' | 'load' | 'init';

export interface LoadProgress {
  phase: LoadPhase;
  /** 0-100 when the line carries a bar, else null (a milestone line). */
  percent: number | null;
  /** One short line for people: the bar's description and count, or the log message. */
  text: string;
}

const MAX_TEXT = 120;
// tqdm's bar: `<desc>: 25%|██▌       | 1/4 [00:10<00:30, ...]`; vLLM's shard loader prints
// `<desc>:  50% Completed | 2/4 [...]`. The `[` after the count means the segment was written whole.
const TQDM =
  /^(?<desc>.*?):\s+(?<pct>\d{1,3})%(?:\|[^|]*\||\s+Completed\s+\|)\s*(?<n>[\d.]+\s?[kMGTP]?i?B?)\/(?<total>[\d.]+\s?[kMGTP]?i?B?)\s*\[/;
// vLLM's logger: `INFO 03-13 08:55:25 [gpu_model_runner.py:1174] msg` (older: `... api_server.py:912] msg`).
const VLLM_LOG = /\b(?:INFO|WARNING|DEBUG)\s+\d\d-\d\d\s+\d\d:\d\d:\d\d(?:\.\d+)?\s+\[?[\w./-]+:\d+\]\s*(?<msg>.*)$/;
// A worker's prefix (`(EngineCore_DP0 pid=48263) `), ANSI colours and other control characters.
const WORKER_PREFIX = /^\([^()]*pid=\d+\)\s*/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

const MILESTONES: Array<[RegExp, LoadPhase]> = [
  [/^Time spent downloading weights/, 'download'],
  [/^Starting to load model /, 'load'],
  [/^Loading weights took /, 'load'],
  [/^Model loading took /, 'load'],
  [
    /^(?:Memory profiling takes|torch\.compile takes|Compiling a graph|Dynamo bytecode transform time|GPU KV cache size|Graph capturing finished|init engine \(profile, create kv cache, warmup model\) took)/,
    'init',
  ],
];

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_TEXT ? `${one.slice(0, MAX_TEXT - 1)}…` : one;
}

// Which phase a bar belongs to; a bar we do not know (a request's own progress) is no load progress.
function barPhase(desc: string, total: string): LoadPhase | undefined {
  if (/checkpoint shards/i.test(desc)) return 'load';
  if (/^Capturing CUDA graph/i.test(desc)) return 'init';
  // huggingface_hub: `Fetching 4 files`, then one bar per file (`model-00001-of-00004.safetensors`,
  // `config.json`; older releases `Downloading (…)main/config.json`), counted in bytes.
  if (/^Fetching \d+ files?\b/.test(desc) || /^Downloading\b/.test(desc) || /\.\w{1,12}$/.test(desc)) return 'download';
  if (/[kMGTP]i?B?$/.test(total)) return 'download';
  return undefined;
}

/** One line (or one `\r` segment of a tqdm line) as load progress, or undefined when it says nothing about the load. */
export function parseLoadLine(raw: string): LoadProgress | undefined {
  const line = raw.replace(ANSI, '').replace(CONTROL, '').trim().replace(WORKER_PREFIX, '');
  const bar = TQDM.exec(line)?.groups;
  if (bar) {
    const desc = (bar.desc ?? '').trim();
    const total = (bar.total ?? '').replace(/\s/g, '');
    const phase = barPhase(desc, total);
    if (phase === undefined) return undefined;
    const percent = Math.min(100, Number(bar.pct));
    return { phase, percent, text: clip(`${desc} ${(bar.n ?? '').replace(/\s/g, '')}/${total}`) };
  }
  const msg = VLLM_LOG.exec(line)?.groups?.msg?.trim();
  if (!msg) return undefined;
  const milestone = MILESTONES.find(([re]) => re.test(msg));
  return milestone ? { phase: milestone[1], percent: null, text: clip(msg) } : undefined;
}

/**
 * The latest load progress in a stretch of log text, or undefined. tqdm redraws a bar with `\r` on one
 * line, so the last segment of a line is its current state; a segment cut off mid-write does not parse
 * and the one before it counts.
 */
export function latestLoadProgress(text: string): LoadProgress | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const segments = (lines[i] ?? '').split('\r');
    for (let j = segments.length - 1; j >= 0; j--) {
      const found = parseLoadLine(segments[j] ?? '');
      if (found) return found;
    }
  }
  return undefined;
}
