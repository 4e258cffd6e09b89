// scripts/smoke.sh against the vLLM and Ollama stand-ins (as processes) and the real llama-server
// (OpenAI-compatible, checked as --vllm): one PASS line per step when all is well, and the first failure
// named in one FAIL line with a non-zero exit. Skips, saying why, where bash or curl is missing.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { realLlamaSkipReason, startRealLlama, type RunningLlama } from '../real/llama-server.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/smoke.sh', import.meta.url));

function missingTool(): string {
  for (const tool of ['bash', 'curl']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `smoke.sh tests skipped: ${tool} is not installed`;
    }
  }
  return '';
}
const skipReason = missingTool();
if (skipReason) console.warn(`SKIPPED ${skipReason}`);

interface Run {
  code: number | null;
  lines: string[];
  stderr: string;
}

function smoke(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile('bash', [SCRIPT, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({
        code,
        lines: stdout
          .trim()
          .split('\n')
          .filter((l) => l !== ''),
        stderr,
      });
    });
  });
}

const STEPS = ['detect', 'model', 'completion', 'stream'];
const verdicts = (r: Run) => r.lines.map((l) => l.split(':')[0]);

let servers: TestServer[] = [];
let real: RunningLlama[] = [];
afterEach(async () => {
  await Promise.all([...servers.map((s) => s.stop()), ...real.map((s) => s.stop())]);
  servers = [];
  real = [];
});

describe.skipIf(skipReason !== '')(
  `scripts/smoke.sh${skipReason ? ` (${skipReason})` : ''}`,
  { timeout: 90_000 },
  () => {
    it('vLLM stand-in: four PASS lines, the first listed model by default, exit 0', async () => {
      const s = await startTestServer('vllm');
      servers.push(s);
      const r = await smoke(['--vllm', s.url]);
      expect(r.code, r.lines.join('\n') + r.stderr).toBe(0);
      expect(verdicts(r)).toEqual(STEPS.map((step) => `PASS ${step}`));
      expect(r.lines[1]).toContain(s.model);
      expect(r.lines[3]).toMatch(/streamed \d+ chunks and data: \[DONE\]/);
    });

    it('Ollama stand-in: a name without a tag is found as :latest, the stream ends with done', async () => {
      const s = await startTestServer('ollama', { model: 'llama3.2:latest' });
      servers.push(s);
      const r = await smoke(['--ollama', s.url, '--model', 'llama3.2']);
      expect(r.code, r.lines.join('\n') + r.stderr).toBe(0);
      expect(verdicts(r)).toEqual(STEPS.map((step) => `PASS ${step}`));
      expect(r.lines[0]).toMatch(/^PASS detect: Ollama [\d.]+ answers/);
      expect(r.lines[3]).toMatch(/streamed \d+ chunks and "done":true/);
    });

    it('a model the server does not list: FAIL model naming what it has, nothing after, exit 1', async () => {
      const s = await startTestServer('vllm');
      servers.push(s);
      const r = await smoke(['--vllm', s.url, '--model', 'no/such-model']);
      expect(r.code).toBe(1);
      expect(verdicts(r)).toEqual(['PASS detect', 'FAIL model']);
      expect(r.lines[1]).toContain(`no/such-model is not listed by GET /v1/models (it has: ${s.model})`);
    });

    it("nothing listening: FAIL detect with curl's reason, exit 1", async () => {
      const port = await freePort();
      const r = await smoke(['--ollama', `http://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.lines).toHaveLength(1);
      expect(r.lines[0]).toMatch(
        new RegExp(`^FAIL detect: no Ollama at http://127\\.0\\.0\\.1:${port} \\(GET /api/version: curl: `),
      );
    });

    it('a server that dies mid-stream: FAIL stream, exit 1', async () => {
      // 8 tokens for the completion, then the crash 2 tokens into the stream.
      const s = await startTestServer('vllm', { knobs: { crashAfterTokens: 10 } });
      servers.push(s);
      const r = await smoke(['--vllm', s.url]);
      expect(r.code).toBe(1);
      expect(verdicts(r)).toEqual(['PASS detect', 'PASS model', 'PASS completion', 'FAIL stream']);
      expect(r.lines[3]).toMatch(/^FAIL stream: POST \/v1\/chat\/completions failed after \d+ chunks \(/);
    });

    it('bad arguments: a usage message on stderr, exit 2', async () => {
      const r = await smoke(['--model', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/say which server: --ollama or --vllm\nusage: /);
    });

    it.skipIf(realLlamaSkipReason !== '')(
      `the real llama-server as --vllm: four PASS lines${realLlamaSkipReason ? ` (${realLlamaSkipReason})` : ''}`,
      async () => {
        const s = await startRealLlama();
        real.push(s);
        const r = await smoke(['--vllm', s.url]);
        expect(r.code, r.lines.join('\n') + r.stderr).toBe(0);
        expect(verdicts(r)).toEqual(STEPS.map((step) => `PASS ${step}`));
        expect(r.lines[1]).toContain(`model: ${s.model} is served`);
      },
    );
  },
);
