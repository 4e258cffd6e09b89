// The lines of a server's start log that explain its exit: the cause and how it ended, not the noise.
// The llama-server log is what a real build (docs/protocols.md §8) printed for a file that is not a
// GGUF model; the vLLM one follows docs/protocols.md §2.1 (unknown model id) and vLLM V1's engine-core
// failure, whose last line only points back at the root cause.
import { describe, expect, it } from 'vitest';
import { linesExplainingExit } from '../../machines/exit-explanation.js';
import { startExitError } from '../../machines/service-errors.js';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';

const LLAMA_BAD_MODEL = `0.00.028.022 I log_info: verbosity = 3 (adjust with the \`-lv N\` CLI arg)
0.00.028.031 I device_info:
0.00.028.042 I   - CPU     : Intel(R) Xeon(R) Processor (24151 MiB, 24151 MiB free)
0.00.028.122 I srv          main: n_parallel is set to auto, using n_parallel = 4 and kv_unified = true
0.00.028.168 I srv          init: using 8 threads for HTTP server
0.00.028.327 I srv         start: binding port with default address family
0.00.029.533 I srv          main: loading model
0.00.029.545 I srv    load_model: loading model 'bad.gguf'
0.00.029.571 I common_init_result: fitting params to device memory ...
0.00.029.571 I common_init_result: (for bugs during this step try to reproduce them with -fit off, or provide --verbose logs if the bug only occurs with -fit on)
0.00.029.632 E gguf_init_from_file_ptr: invalid magic characters: 'garb', expected 'GGUF'
0.00.029.739 E llama_model_load: error loading model: llama_model_loader: failed to load model from bad.gguf
0.00.029.747 E llama_model_load_from_file_impl: failed to load model
0.00.029.773 E common_fit_params: encountered an error while trying to fit params to free device memory: failed to load model
0.00.029.784 E gguf_init_from_file_ptr: invalid magic characters: 'garb', expected 'GGUF'
0.00.029.794 E llama_model_load: error loading model: llama_model_loader: failed to load model from bad.gguf
0.00.029.795 E llama_model_load_from_file_impl: failed to load model
0.00.029.796 E common_init_from_params: failed to load model 'bad.gguf'
0.00.029.797 E srv    load_model: failed to load model, 'bad.gguf'
0.00.029.798 I srv    operator(): operator(): cleaning up before exit...
0.00.030.426 E srv          main: exiting due to model loading error`.split('\n');

const VLLM_TRACEBACK = [
  'INFO 05-12 10:00:00 [__init__.py:239] Automatically detected platform cuda.',
  'INFO 05-12 10:00:01 [api_server.py:1043] vLLM API server version 0.8.5',
  "INFO 05-12 10:00:01 [api_server.py:1044] args: Namespace(model='no-such/model', port=8000, gpu_memory_utilization=0.9)",
  'Traceback (most recent call last):',
  '  File "/usr/local/bin/vllm", line 8, in <module>',
  '    sys.exit(main())',
  '  File "/usr/local/lib/python3.12/site-packages/vllm/transformers_utils/config.py", line 512, in get_config',
  '    raise ValueError(',
  "ValueError: Invalid repository ID or local directory specified: 'no-such/model'.",
  'Please verify the following requirements:',
  '1. Provide a valid Hugging Face repository ID.',
  '2. Specify a local directory that contains a recognized configuration file.',
  "   - For Hugging Face models: ensure the presence of a 'config.json'.",
  "   - For Mistral models: ensure the presence of a 'params.json'.",
];

describe('linesExplainingExit', () => {
  it('llama-server: the error loading model (once, without the time prefix) and how it ended', () => {
    expect(linesExplainingExit(LLAMA_BAD_MODEL)).toEqual([
      'llama_model_load: error loading model: llama_model_loader: failed to load model from bad.gguf',
      'srv main: exiting due to model loading error',
    ]);
  });

  it('vLLM: the exception that ends the traceback, not the arguments or the frames', () => {
    expect(linesExplainingExit(VLLM_TRACEBACK)).toEqual([
      "ValueError: Invalid repository ID or local directory specified: 'no-such/model'.",
    ]);
  });

  it('vLLM V1: the root cause above and the last exception that points at it', () => {
    const tail = [
      ...VLLM_TRACEBACK.slice(0, 9),
      'Traceback (most recent call last):',
      '  File "/usr/local/lib/python3.12/site-packages/vllm/v1/engine/core_client.py", line 442, in __init__',
      '    raise RuntimeError("Engine core initialization failed. "',
      'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
    ];
    expect(linesExplainingExit(tail)).toEqual([
      "ValueError: Invalid repository ID or local directory specified: 'no-such/model'.",
      'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
    ]);
  });

  it('without a named cause: the last failure lines; without those: the last lines', () => {
    expect(linesExplainingExit(['starting', 'fatal: cannot open /dev/nvidia0', 'bye'])).toEqual([
      'fatal: cannot open /dev/nvidia0',
    ]);
    expect(linesExplainingExit(['a', 'b', 'c', 'd', ''])).toEqual(['b', 'c', 'd']);
    expect(linesExplainingExit([])).toEqual([]);
  });
});

describe('START_FAILED', () => {
  it('carries the explaining lines and the log file, and its hint names the file (not "details")', () => {
    const provider = {
      id: 'llamacpp',
      kind: 'llamacpp' as const,
      type: 'openai-compatible' as const,
      model: 'bad.gguf',
      host: '127.0.0.1',
      port: 8080,
      baseUrl: 'http://127.0.0.1:8080',
      args: [],
      lifecycle: DEFAULT_LIFECYCLE,
      timeouts: DEFAULT_REQUEST_TIMEOUTS,
      gpu: {},
    };
    const err = startExitError(
      { provider, mode: 'local-only', stateDir: '/state' },
      1,
      null,
      LLAMA_BAD_MODEL,
      '/state/logs/llamacpp.log',
    );
    expect(err.code).toBe('START_FAILED');
    expect(err.hint).toBe(
      'Fix what its log (/state/logs/llamacpp.log) reports, then run `acode providers start llamacpp`.',
    );
    expect(err.details).toMatchObject({
      logFile: '/state/logs/llamacpp.log',
      logExcerpt: linesExplainingExit(LLAMA_BAD_MODEL),
    });
    expect(err.details?.logTail).toHaveLength(20);
  });
});
