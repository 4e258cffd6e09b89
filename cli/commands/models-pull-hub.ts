// `acode models pull org/name --provider vllm`: vLLM has no pull API, so acode downloads the model into
// the Hugging Face cache itself (actors/hf-pull.ts), where vLLM finds it offline. Airgapped mode and
// models.allow_download: false refuse with the pre-stage steps. Progress on stderr: the file, bytes of
// the whole pull, the percentage (in steps of 10), rate and ETA.
import { hubEnv, isRepoId } from '../../adapters/index.js';
import { hubDownloadRefusal, pullHubModel, type HubPullProgress, type WeightsFormat } from '../../actors/index.js';
import { AcodeError, type AcodeConfig, type ProviderConfig } from '../../config/index.js';
import type { CliDeps } from '../deps.js';
import { printJson } from '../output/index.js';
import { formatBytes, formatEta, formatRate } from '../views/index.js';

export interface HubPullOptions {
  revision?: string;
  weights?: string;
  json?: boolean;
}

const WEIGHTS: readonly WeightsFormat[] = ['auto', 'safetensors', 'bin'];

function progressLine(model: string): (p: HubPullProgress) => string | undefined {
  let last = '';
  return (p) => {
    const percent = p.total > 0 ? Math.floor((p.completed / p.total) * 10) * 10 : 0;
    const key = `${p.file} ${percent}`;
    if (key === last) return undefined;
    last = key;
    const eta = p.etaSeconds === null ? undefined : formatEta(p.etaSeconds);
    return [
      `${model}: pulling ${p.file}`,
      `${formatBytes(p.completed)}/${formatBytes(p.total)}`,
      `${percent}%`,
      p.bytesPerSecond > 0 ? formatRate(p.bytesPerSecond) : undefined,
      eta ? `ETA ${eta}` : undefined,
    ]
      .filter(Boolean)
      .join(' ');
  };
}

export async function pullFromHub(
  deps: CliDeps,
  config: AcodeConfig,
  p: ProviderConfig,
  model: string,
  opts: HubPullOptions,
): Promise<void> {
  if (!isRepoId(model)) {
    throw new AcodeError(
      'USAGE',
      `'${model}' is not a Hugging Face model id.`,
      'Pass it as org/name, e.g. `acode models pull Qwen/Qwen2.5-0.5B-Instruct --provider vllm`.',
    );
  }
  const weights = (opts.weights ?? 'auto') as WeightsFormat;
  if (!WEIGHTS.includes(weights))
    throw new AcodeError(
      'USAGE',
      `--weights ${opts.weights ?? ''} is not a weights format.`,
      'Pass --weights safetensors, --weights bin, or leave it out (safetensors when the repo has them).',
    );
  const refusal = hubDownloadRefusal(config, p, model);
  if (refusal) throw refusal;
  const line = progressLine(model);
  const result = await pullHubModel(hubEnv(deps.env), model, {
    weights,
    signal: deps.signal,
    ...(opts.revision ? { revision: opts.revision } : {}),
    onProgress: (progress) => {
      const text = line(progress);
      if (text !== undefined) deps.stderr.write(`${text}\n`);
    },
  });
  if (opts.json)
    printJson(
      deps.stdout,
      {
        provider: p.id,
        model,
        commit: result.commit,
        snapshot: result.snapshot,
        files: result.files,
        downloaded: result.downloaded,
        pulled: result.downloaded > 0,
      },
      deps.env,
    );
  else
    deps.stdout.write(
      result.downloaded > 0
        ? `pulled ${model} (${result.commit.slice(0, 12)}) into ${result.snapshot}\n`
        : `${model} is already in the Hugging Face cache (${result.snapshot}); nothing to pull\n`,
    );
}
