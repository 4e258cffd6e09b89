// The log parser behind vLLM's load progress, over lines shaped like vLLM's and huggingface_hub's own
// output (docs/protocols.md §2.1): tqdm bars redrawn with \r, worker prefixes, milestone log lines.
import { describe, expect, it } from 'vitest';
import { latestLoadProgress, parseLoadLine } from '../../actors/load-progress.js';

describe('parseLoadLine', () => {
  it('reads huggingface_hub download bars: the files bar and per-file byte bars', () => {
    expect(parseLoadLine('Fetching 4 files:  25%|██▌       | 1/4 [00:10<00:30,  10.0s/it]')).toEqual({
      phase: 'download',
      percent: 25,
      text: 'Fetching 4 files 1/4',
    });
    expect(
      parseLoadLine('model-00001-of-00004.safetensors:  12%|█▏        | 598M/4.98G [00:05<00:40, 109MB/s]'),
    ).toEqual({
      phase: 'download',
      percent: 12,
      text: 'model-00001-of-00004.safetensors 598M/4.98G',
    });
    expect(parseLoadLine('config.json: 100%|██████████| 609/609 [00:00<00:00, 4.26MB/s]')).toEqual({
      phase: 'download',
      percent: 100,
      text: 'config.json 609/609',
    });
    expect(
      parseLoadLine('Downloading (…)main/config.json: 100%|██████████| 571/571 [00:00<00:00, 2.1MB/s]')?.phase,
    ).toBe('download');
  });

  it("reads vLLM's shard loader and CUDA graph capture bars, with or without a worker prefix", () => {
    expect(
      parseLoadLine(
        '(EngineCore_DP0 pid=48263) Loading safetensors checkpoint shards:  50% Completed | 2/4 [00:05<00:05,  2.61s/it]',
      ),
    ).toEqual({
      phase: 'load',
      percent: 50,
      text: 'Loading safetensors checkpoint shards 2/4',
    });
    expect(parseLoadLine('Capturing CUDA graph shapes:  45%|████▌     | 30/67 [00:10<00:12,  3.10it/s]')).toEqual({
      phase: 'init',
      percent: 45,
      text: 'Capturing CUDA graph shapes 30/67',
    });
    expect(
      parseLoadLine(
        'Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%|██████████| 67/67 [00:03<00:00, 17.58it/s]',
      )?.phase,
    ).toBe('init');
  });

  it("reads vLLM's load milestones in both log formats, and strips colours", () => {
    expect(
      parseLoadLine(
        '(EngineCore_DP0 pid=48263) INFO 03-13 08:55:31 [gpu_model_runner.py:1595] Starting to load model meta-llama/Llama-2-7b-hf...',
      ),
    ).toEqual({
      phase: 'load',
      percent: null,
      text: 'Starting to load model meta-llama/Llama-2-7b-hf...',
    });
    expect(parseLoadLine('INFO 02-24 04:15:43 loader.py:447] Loading weights took 12.30 seconds')).toEqual({
      phase: 'load',
      percent: null,
      text: 'Loading weights took 12.30 seconds',
    });
    expect(
      parseLoadLine(
        '\x1b[1;36m(EngineCore_DP0 pid=1)\x1b[0;0m INFO 03-13 08:57:02 [gpu_model_runner.py:1624] Model loading took 13.5 GiB and 14.1 seconds',
      )?.text,
    ).toBe('Model loading took 13.5 GiB and 14.1 seconds');
    expect(
      parseLoadLine(
        'INFO 03-13 08:57:28 [core.py:210] init engine (profile, create kv cache, warmup model) took 25.99 seconds',
      ),
    ).toEqual({
      phase: 'init',
      percent: null,
      text: 'init engine (profile, create kv cache, warmup model) took 25.99 seconds',
    });
    expect(
      parseLoadLine(
        'INFO 03-13 08:56:40 [weight_utils.py:312] Time spent downloading weights for meta-llama/Llama-2-7b-hf: 95.233 seconds',
      )?.phase,
    ).toBe('download');
  });

  it('ignores lines that say nothing about the load, and bars cut off mid-write', () => {
    for (const line of [
      '(APIServer pid=1) INFO 03-13 08:55:25 [utils.py:326] vLLM API server version 0.11.0',
      "INFO 03-13 08:55:25 [utils.py:326] non-default args: {'model_tag': 'x', 'port': 8000}",
      'INFO:     Application startup complete.',
      'Processed prompts:  50%|█████     | 1/2 [00:01<00:01,  1.00it/s]',
      'model-00001-of-00004.safetensors:  12%|█▏        | 598M/4.9',
      'Fetching 4 files:  2',
      '',
    ])
      expect(parseLoadLine(line), line).toBeUndefined();
  });
});

describe('latestLoadProgress', () => {
  it("takes a tqdm line's last \\r redraw, and the last line that says something", () => {
    const text = [
      'INFO 03-13 08:55:31 [gpu_model_runner.py:1595] Starting to load model m...',
      '\rLoading safetensors checkpoint shards:   0% Completed | 0/4 [00:00<?, ?it/s]\rLoading safetensors checkpoint shards:  25% Completed | 1/4 [00:02<00:06,  2.1s/it]\rLoading safetensors checkpoint shards:  50% Completed | 2/4 [00:04<00:04,  2.1s/it]',
      'INFO:     some unrelated line',
      '',
    ].join('\n');
    expect(latestLoadProgress(text)).toEqual({
      phase: 'load',
      percent: 50,
      text: 'Loading safetensors checkpoint shards 2/4',
    });
  });

  it('falls back to the previous redraw when the last one is still being written', () => {
    const text =
      'Fetching 2 files:   0%|          | 0/2 [00:00<?, ?it/s]\rFetching 2 files:  50%|█████     | 1/2 [00:03<00:03,  3.0s/it]\rFetching 2 fi';
    expect(latestLoadProgress(text)).toEqual({ phase: 'download', percent: 50, text: 'Fetching 2 files 1/2' });
  });

  it('is undefined for a log without load progress', () => {
    expect(
      latestLoadProgress('INFO:     Started server process [7]\nINFO:     Waiting for application startup.\n'),
    ).toBeUndefined();
  });
});
