// vLLM's model load as its log shows it (ACODE_FAKE_LOAD_PROGRESS): huggingface_hub's download bars when
// the model is not cached, the shard loader's bar, the load milestones, torch.compile / KV cache lines,
// the CUDA graph capture bar and "init engine ... took". tqdm bars go to stderr and redraw with `\r`
// (a `\n` only when the bar ends), log lines to stdout with the engine's worker prefix: the shapes of
// docs/protocols.md §2.1. Spread over the load time, so an orchestrator sees progress throughout the load.
import { delay } from './lib/runtime.js';

type Write = () => void;

const pad = (n: number): string => String(n).padStart(2, '0');
function stamp(): string {
  const d = new Date();
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
const engine =
  (file: string, msg: string): Write =>
  () =>
    void process.stdout.write(`(EngineCore_DP0 pid=${process.pid}) INFO ${stamp()} [${file}] ${msg}\n`);

function bar(width: number, fraction: number): string {
  const full = Math.floor(fraction * width);
  return `${'█'.repeat(full)}${' '.repeat(width - full)}`;
}

/** A tqdm bar's redraws over `steps`, `\r`-separated, the last one ending the line. */
function tqdm(
  desc: string,
  total: number,
  steps: number,
  show: (n: number) => string,
  rate: string,
  style: 'bar' | 'completed' = 'bar',
): Write[] {
  const writes: Write[] = [];
  for (let i = 0; i <= steps; i++) {
    const n = Math.round((total * i) / steps);
    const pct = String(Math.floor((100 * n) / total)).padStart(3);
    const body =
      style === 'bar'
        ? `${desc}: ${pct}%|${bar(10, n / total)}| ${show(n)}/${show(total)} [00:0${i}<00:0${steps - i}, ${rate}]`
        : `${desc}: ${pct}% Completed | ${show(n)}/${show(total)} [00:0${i}<00:0${steps - i}, ${rate}]`;
    writes.push(() => void process.stderr.write(`\r${body}${i === steps ? '\n' : ''}`));
  }
  return writes;
}

const gigabytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : `${Math.round(n / 1e6)}M`);

/** Logs a load of `totalMs` the way vLLM does; `download` when the weights are not in the HF cache yet. */
export async function logVllmLoad(model: string, totalMs: number, { download }: { download: boolean }): Promise<void> {
  const seconds = (totalMs / 1000).toFixed(2);
  const shard = 4_980_000_000;
  const writes: Write[] = [engine('gpu_model_runner.py:1595', `Starting to load model ${model}...`)];
  if (download) {
    writes.push(engine('weight_utils.py:265', "Using model weights format ['*.safetensors']"));
    writes.push(...tqdm('Fetching 2 files', 2, 1, String, '?it/s').slice(0, 1));
    for (const file of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      writes.push(...tqdm(file, shard, 4, gigabytes, '109MB/s'));
    }
    writes.push(...tqdm('Fetching 2 files', 2, 1, String, '2.1s/it').slice(1));
    writes.push(engine('weight_utils.py:312', `Time spent downloading weights for ${model}: ${seconds} seconds`));
  }
  writes.push(...tqdm('Loading safetensors checkpoint shards', 2, 2, String, '1.52s/it', 'completed'));
  writes.push(engine('default_loader.py:262', `Loading weights took ${seconds} seconds`));
  writes.push(engine('gpu_model_runner.py:1624', `Model loading took 0.93 GiB and ${seconds} seconds`));
  writes.push(engine('kv_cache_utils.py:537', 'GPU KV cache size: 47,024 tokens'));
  writes.push(...tqdm('Capturing CUDA graph shapes', 67, 4, String, '17.58it/s'));
  writes.push(engine('gpu_model_runner.py:1534', 'Graph capturing finished in 1 secs, took 0.50 GiB'));
  writes.push(engine('core.py:210', `init engine (profile, create kv cache, warmup model) took ${seconds} seconds`));
  const step = totalMs / writes.length;
  for (const write of writes) {
    write();
    await delay(step);
  }
}
