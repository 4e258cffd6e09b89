// Issue 14: a managed vLLM start with a hub id the cache lacks asks the hub first and pulls, with
// progress, before it spawns vLLM offline (built CLI, the hub stand-in on loopback, the vLLM stand-in
// that loads from the cache only). Each refusal is a typed error with its exit code, and nothing is
// spawned: 404 with did-you-mean, gated, hub unreachable with and without a cached copy,
// models.allow_download: false, airgapped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { startHub, type HubServer } from '../servers/harness-hub.js';
import { CLOSED_HUB } from '../servers/lib/scratch-home.js';
import { project, providerYaml, type Project } from './project.js';

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const FOLDER = `models--${MODEL.split('/').join('--')}`;

let projects: Project[] = [];
const hubs: HubServer[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});
const logs: string[] = [];
afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()));
  await Promise.all(logs.map((f) => rm(f, { force: true })));
});

/** A request log for a hub this file starts (removed afterwards). */
function scratchLog(name: string): string {
  const file = join(tmpdir(), `acode-hub-${name}-${process.pid}.jsonl`);
  logs.push(file);
  return file;
}

async function vllmProject(model = MODEL, head = ''): Promise<Project> {
  const p = await project(
    `${head}providers:\n  active: vllm\n${providerYaml('vllm', { model, port: await freePort() }, { start_timeout_seconds: 20 })}`,
  );
  projects.push(p);
  return p;
}

function hubRequests(log: string): { path: string }[] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { path: string })
    : [];
}

function errorLines(stderr: string): { error: string; hint: string } {
  const lines = stderr.split('\n');
  return {
    error: lines.find((l) => l.startsWith('error[')) ?? '',
    hint: lines.find((l) => l.startsWith('hint: ')) ?? '',
  };
}

describe('managed vLLM start: the hub model is fetched before the spawn (built CLI)', { timeout: 120_000 }, () => {
  let slowHub: HubServer;
  beforeAll(async () => {
    // ~1.5 s of download, so status sees the pull and the CLI prints its progress.
    slowHub = await startHub({ weightBytes: 600_000, slowBytesPerSecond: 800_000 });
    hubs.push(slowHub);
  });

  it('pulls with progress (the start prints the percent as it grows), then starts vLLM with HF_HUB_OFFLINE=1', async () => {
    const p = await vllmProject();
    const env = { HF_ENDPOINT: slowHub.url };
    // Another acode's `status` sees only pid files and logs, not this one's pull: the start prints it.
    const start = p.acode(['providers', 'start', 'vllm', '--json'], { env });
    const started = await start;
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', state: 'healthy', model: 'ready' }),
    ]);
    const percents = [
      ...started.stderr.matchAll(new RegExp(`vllm: pulling ${MODEL.replace(/\./g, '\\.')} (\\d+)%\\n`, 'g')),
    ].map((m) => Number(m[1]));
    expect(new Set(percents).size, started.stderr).toBeGreaterThan(1);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // The snapshot is complete, and vLLM was told to stay offline (it would otherwise call the hub itself).
    const snapshots = join(p.env.HF_HOME!, 'hub', FOLDER, 'snapshots');
    const [commit] = readdirSync(snapshots);
    expect(readdirSync(join(snapshots, commit!)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const [pid] = p.startedPids();
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('HF_HUB_OFFLINE=1');
  });

  it('a corrupted blob: PULL_FAILED (exit 4) naming the file, nothing of it in snapshots/, nothing spawned', async () => {
    const corrupt = await startHub({ corrupt: ['model.safetensors'] });
    hubs.push(corrupt);
    const p = await vllmProject();
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { HF_ENDPOINT: corrupt.url } });
    expect(r.code, r.stderr).toBe(4);
    expect(errorLines(r.stderr).error).toBe(
      `error[PULL_FAILED]: Downloaded model.safetensors of '${MODEL}' does not match the hub's sha256; the file was deleted.`,
    );
    const snapshots = join(p.env.HF_HOME!, 'hub', FOLDER, 'snapshots');
    const linked = existsSync(snapshots) ? readdirSync(snapshots).flatMap((c) => readdirSync(join(snapshots, c))) : [];
    expect(linked).not.toContain('model.safetensors');
    expect(readdirSync(join(p.env.HF_HOME!, 'hub', FOLDER, 'blobs')).filter((b) => b.length === 64)).toEqual([]);
    expect(p.recordedPids()).toEqual([]);
  });

  it('404: MODEL_NOT_FOUND with the did-you-mean of the hub search (exit 4); nothing spawned', async () => {
    const p = await vllmProject('Qwen/Qwen2.5-0.5B-Instruc');
    const r = await p.acode(['providers', 'start', 'vllm']);
    expect(r.code, r.stderr).toBe(4);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(
      /^error\[MODEL_NOT_FOUND\]: Model 'Qwen\/Qwen2\.5-0\.5B-Instruc' not found on Hugging Face \(http:\/\/127\.0\.0\.1:\d+\)\.$/,
    );
    expect(hint).toContain("Did you mean 'Qwen/Qwen2.5-0.5B-Instruct'");
    expect(p.recordedPids()).toEqual([]);
  });

  it('gated: AUTH_FAILED (exit 6) naming HF_TOKEN and the model page; nothing downloaded or spawned', async () => {
    const gated = await startHub({ gated: [MODEL] });
    hubs.push(gated);
    const p = await vllmProject();
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { HF_ENDPOINT: gated.url } });
    expect(r.code, r.stderr).toBe(6);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toBe(
      `error[AUTH_FAILED]: Model '${MODEL}' on Hugging Face is gated or private: access refused (HTTP 401).`,
    );
    expect(hint).toContain(`Request access on ${gated.url}/${MODEL}`);
    expect(hint).toContain('HF_TOKEN');
    expect(existsSync(join(p.env.HF_HOME!, 'hub', FOLDER, 'snapshots'))).toBe(false);
    expect(p.recordedPids()).toEqual([]);
  });

  it('hub unreachable, nothing cached: says so and that the cache has no copy (exit 6); nothing spawned', async () => {
    const p = await vllmProject();
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { HF_ENDPOINT: CLOSED_HUB } });
    expect(r.code, r.stderr).toBe(6);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toBe(
      `error[CONNECTION_REFUSED]: Cannot reach the Hugging Face hub at ${CLOSED_HUB} to check '${MODEL}' (connection refused).`,
    );
    expect(hint).toContain(`The cache has no complete copy of ${MODEL}`);
    expect(p.recordedPids()).toEqual([]);
  });

  it('hub unreachable, model pulled before: starts from the cache without asking the hub', async () => {
    const p = await vllmProject();
    const pulled = await p.acode(['models', 'pull', MODEL, '--provider', 'vllm']);
    expect(pulled.code, pulled.stderr).toBe(0);
    const r = await p.acode(['providers', 'start', 'vllm', '--json'], { env: { HF_ENDPOINT: CLOSED_HUB } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: 'vllm', state: 'healthy', model: 'ready' })]);
  });

  it('models.allow_download: false: MODEL_NOT_FOUND with the pre-stage steps (exit 4); the hub is never asked', async () => {
    const logFile = scratchLog('no-download');
    const counted = await startHub({ requestLog: logFile });
    hubs.push(counted);
    const p = await vllmProject(MODEL, 'models:\n  allow_download: false\n');
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { HF_ENDPOINT: counted.url } });
    expect(r.code, r.stderr).toBe(4);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(
      new RegExp(
        `^error\\[MODEL_NOT_FOUND\\]: Model '${MODEL.replace(/\./g, '\\.')}' is not complete in the Hugging Face cache \\(.+\\), and models\\.allow_download is false\\.$`,
      ),
    );
    expect(hint).toContain(`\`acode models pull ${MODEL} --provider vllm\``);
    expect(hint).toContain('HF_HOME');
    expect(hubRequests(logFile)).toEqual([]);
    expect(p.recordedPids()).toEqual([]);
  });

  it('airgapped: refused before any hub contact (airgapped mode starts no server)', async () => {
    const logFile = scratchLog('airgapped');
    const counted = await startHub({ requestLog: logFile });
    hubs.push(counted);
    const p = await vllmProject(MODEL, 'mode: airgapped\n');
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { HF_ENDPOINT: counted.url } });
    expect(r.code, r.stderr).toBe(5);
    expect(errorLines(r.stderr).error).toMatch(/^error\[AIRGAP_VIOLATION\]/);
    expect(hubRequests(logFile)).toEqual([]);
    expect(p.recordedPids()).toEqual([]);
  });
});
