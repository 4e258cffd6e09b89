// The fake Ollama's model store: manifests under $OLLAMA_MODELS/manifests/<registry>/<ns>/<model>/<tag>,
// as the real server lays them out, so a restarted server still lists what was pulled.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const REGISTRY = 'registry.ollama.ai';

export interface Layer {
  mediaType: string;
  digest: string;
  size: number;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Layer;
  layers: Layer[];
}

export interface StoredModel {
  name: string;
  manifest: Manifest;
  modifiedAt: Date;
  size: number;
  digest: string;
}

export function modelsDir(env: NodeJS.ProcessEnv): string {
  return env.OLLAMA_MODELS && env.OLLAMA_MODELS !== '' ? env.OLLAMA_MODELS : join(homedir(), '.ollama', 'models');
}

/** `llama3.2` → `llama3.2:latest`; namespace and host kept. Null for names Ollama rejects. */
export function normalizeName(raw: string): string | null {
  const name = raw.trim();
  if (name === '' || /\s/.test(name) || name.startsWith('/') || name.endsWith('/')) return null;
  const last = name.split('/').pop() ?? '';
  return last.includes(':') ? name : `${name}:latest`;
}

function pathParts(full: string): [string, string, string, string] {
  const colon = full.lastIndexOf(':');
  const tag = full.slice(colon + 1);
  const segs = full.slice(0, colon).split('/');
  if (segs.length >= 3) return [segs[0] ?? REGISTRY, segs[1] ?? 'library', segs.slice(2).join('/'), tag];
  if (segs.length === 2) return [REGISTRY, segs[0] ?? 'library', segs[1] ?? '', tag];
  return [REGISTRY, 'library', segs[0] ?? '', tag];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class OllamaStore {
  constructor(readonly root: string) {}

  private manifestPath(full: string): string {
    return join(this.root, 'manifests', ...pathParts(full));
  }

  get(raw: string): StoredModel | null {
    const full = normalizeName(raw);
    if (full === null) return null;
    const path = this.manifestPath(full);
    if (!existsSync(path)) return null;
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    const size = manifest.layers.reduce((n, l) => n + l.size, manifest.config.size);
    return { name: full, manifest, modifiedAt: statSync(path).mtime, size, digest: sha256(JSON.stringify(manifest)) };
  }

  list(): StoredModel[] {
    const base = join(this.root, 'manifests');
    const out: StoredModel[] = [];
    const walk = (dir: string, parts: string[]): void => {
      if (!existsSync(dir)) return;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), [...parts, entry.name]);
        else if (parts.length >= 3) {
          const [host, ns, ...model] = parts;
          const prefix = host === REGISTRY ? (ns === 'library' ? '' : `${ns}/`) : `${host}/${ns}/`;
          const m = this.get(`${prefix}${model.join('/')}:${entry.name}`);
          if (m) out.push(m);
        }
      }
    };
    walk(base, []);
    return out.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime());
  }

  write(full: string, manifest: Manifest): void {
    const path = this.manifestPath(full);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(manifest));
  }

  remove(raw: string): boolean {
    const full = normalizeName(raw);
    if (full === null) return false;
    const path = this.manifestPath(full);
    if (!existsSync(path)) return false;
    rmSync(path);
    return true;
  }

  blobCount(): number {
    const dir = join(this.root, 'blobs');
    return existsSync(dir) ? readdirSync(dir).length : 0;
  }
}

/** The layers a pull of `full` downloads: one big model layer (ACODE_FAKE_PULL_BYTES) and small metadata. */
export function layersFor(full: string, modelBytes: number): Manifest {
  const layer = (kind: string, size: number): Layer => ({
    mediaType: `application/vnd.ollama.image.${kind}`,
    digest: `sha256:${sha256(`${full}/${kind}`)}`,
    size,
  });
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: `sha256:${sha256(`${full}/config`)}`,
      size: 561,
    },
    layers: [layer('model', modelBytes), layer('template', 1429), layer('license', 7711), layer('params', 96)],
  };
}

export interface ModelTraits {
  family: string;
  parameterSize: string;
  embedding: boolean;
  /** Fill in the middle (`suffix`): code models' templates have the slot. */
  insert: boolean;
  contextLength: number;
  embeddingLength: number;
  /** /api/show `capabilities`, as real Ollama derives them from the model's template and projector. */
  capabilities: string[];
}

/** Details guessed from the name, stable across runs, for /api/tags, /api/show and /api/ps. */
export function traitsOf(full: string): ModelTraits {
  const lower = full.toLowerCase();
  const embedding = lower.includes('embed') || lower.includes('minilm');
  const family = lower.includes('qwen')
    ? 'qwen2'
    : lower.includes('nomic')
      ? 'nomic-bert'
      : lower.includes('minilm')
        ? 'bert'
        : lower.includes('gemma')
          ? 'gemma2'
          : 'llama';
  // gemma2's template has no tools section; llava has a vision projector (and no tools): what Ollama reports.
  const capabilities = embedding
    ? ['embedding']
    : family === 'gemma2'
      ? ['completion']
      : lower.includes('llava')
        ? ['completion', 'vision']
        : ['completion', 'tools', ...(!embedding && lower.includes('code') ? ['insert'] : [])];
  const size = /(\d+(?:\.\d+)?)b/.exec(lower.split(':').pop() ?? '') ?? /(\d+(?:\.\d+)?)b/.exec(lower);
  return {
    family,
    parameterSize: embedding ? '137M' : size ? `${size[1]}B` : '3.2B',
    embedding,
    insert: !embedding && lower.includes('code'),
    contextLength: embedding ? 2048 : family === 'gemma2' ? 8192 : 131072,
    embeddingLength: embedding ? 768 : 3072,
    capabilities,
  };
}
