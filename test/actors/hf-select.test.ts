// Which hub files a vLLM pull fetches (pure).
import { describe, expect, it } from 'vitest';
import { selectFiles } from '../../actors/hf-select.js';

const f = (name: string) => ({ name, size: 1 });
const REPO = [
  'config.json',
  'tokenizer.json',
  'tokenizer.model',
  'README.md',
  '.gitattributes',
  'model.safetensors.index.json',
  'model-00001-of-00002.safetensors',
  'model-00002-of-00002.safetensors',
  'pytorch_model.bin.index.json',
  'pytorch_model-00001-of-00001.bin',
  'original/consolidated.00.pth',
  'onnx/model.onnx',
].map(f);

describe('selectFiles', () => {
  it('auto takes safetensors when the repo has them, with configs and tokenizer, and leaves the other index out', () => {
    expect(selectFiles(REPO, 'auto').map((x) => x.name)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer.model',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  it('bin takes the PyTorch shards and their index', () => {
    expect(selectFiles(REPO, 'bin').map((x) => x.name)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer.model',
      'pytorch_model.bin.index.json',
      'pytorch_model-00001-of-00001.bin',
    ]);
  });

  it('never selects a name that would leave the snapshot', () => {
    expect(
      selectFiles(['../../evil.json', '/etc/x.json', 'a/../b.json', 'ok/config.json'].map(f), 'auto').map(
        (x) => x.name,
      ),
    ).toEqual(['ok/config.json']);
  });
});
