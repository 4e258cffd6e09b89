// Which files of a hub repo vLLM needs: the configs and tokenizer, and one weights format (safetensors
// when the repo has them, as vLLM's own download does, else the PyTorch .bin files). Pure.
import type { HubFile } from '../adapters/index.js';

export type WeightsFormat = 'auto' | 'safetensors' | 'bin';

const SUPPORT = /(^|\/)[^/]+\.(json|model|tiktoken|txt|jinja)$/;
const SKIP = /^(original|onnx|openvino|coreml|flax_model|tf_model|\.)|(^|\/)(README|LICENSE|USE_POLICY)/i;

/** A repo path that stays inside the snapshot: relative, no `..`, no empty or dot segments. */
function safeName(name: string): boolean {
  return (
    name !== '' && !name.startsWith('/') && name.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..')
  );
}

export function selectFiles(files: readonly HubFile[], weights: WeightsFormat): HubFile[] {
  // A hub (or a mirror) naming `../x` must not make the pull write outside the snapshot.
  const keep = files.filter((f) => safeName(f.name) && !SKIP.test(f.name));
  const hasSafetensors = keep.some((f) => f.name.endsWith('.safetensors'));
  const format = weights === 'auto' ? (hasSafetensors ? 'safetensors' : 'bin') : weights;
  const weightsRe = format === 'safetensors' ? /\.safetensors$/ : /\.(bin|pt)$/;
  // The index of the format we skip would name shards we do not fetch; leave it out too.
  const otherIndex = format === 'safetensors' ? 'pytorch_model.bin.index.json' : 'model.safetensors.index.json';
  return keep.filter((f) => weightsRe.test(f.name) || (SUPPORT.test(f.name) && !f.name.endsWith(otherIndex)));
}
