// Whether this config lets acode download a model from the Hugging Face hub at all: airgapped mode and
// models.allow_download: false refuse, with the steps to pre-stage it instead. Asked before every hub
// pull (`acode models pull --provider vllm`, the gateway's /api/pull for a vLLM provider).
import { preStageHint } from '../adapters/index.js';
import { AcodeError, type AcodeConfig, type ProviderConfig } from '../config/index.js';

/** Why this config may not download `model` from the hub for `p`, or null when it may. */
export function hubDownloadRefusal(config: AcodeConfig, p: ProviderConfig, model: string): AcodeError | null {
  if (config.mode === 'airgapped') {
    return new AcodeError(
      'AIRGAP_VIOLATION',
      `${p.id}: airgapped mode forbids downloading ${model} from Hugging Face.`,
      preStageHint(model),
      { details: { provider: p.id, model } },
    );
  }
  if (config.models?.allowDownload === false) {
    return new AcodeError(
      'MODE_FORBIDDEN',
      `${p.id}: models.allow_download is false, so acode does not download ${model}.`,
      `${preStageHint(model)} Or set models.allow_download: true in .agent/config.yml.`,
      { details: { provider: p.id, model } },
    );
  }
  return null;
}
