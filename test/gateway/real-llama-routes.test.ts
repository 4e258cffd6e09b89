// The gateway's text completion routes against the REAL llama.cpp llama-server (../shared/real-servers,
// or ACODE_REAL_LLAMA_SERVER), started by `acode serve` on the first request: a text completion whole
// and streamed (temperature 0: the same tokens), and the typed 400 for fill in the middle on a model
// without FIM tokens. Chat, listings, embeddings and a SIGKILL mid-stream against it are the real lane
// of client-matrix.test.ts. Absent binary: skipped, saying which path was missing.
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { freePort } from '../servers/harness.js';
import { MAIN, project, providerYaml, type Project } from '../e2e/project.js';
import { BOUNDED, realLlama, realLlamaArgs, realLlamaSkipReason } from '../real/llama-server.js';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

const maybe = realLlama ? it : it.skip;

describe(`gateway routes against the real llama-server${realLlama ? '' : ` (${realLlamaSkipReason})`}`, () => {
  maybe(
    "completions (whole = streamed at temperature 0), and FIM refused with the server's reason",
    async () => {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
      const args = realLlamaArgs();
      const p = await project(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { binary: realLlama!.binary, model: realLlama!.model, port: await freePort() })}    args: ${JSON.stringify(args)}\n`,
      );
      projects.push(p);
      const live = p.live(['serve', '--port', String(await freePort())]);
      const url = /acode gateway on (http:\/\/\S+)/.exec(
        await live.waitForStdout(/acode gateway on (http:\/\/\S+)/),
      )![1]!;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

      const whole = await client.completions.create({ model: 'llamacpp', prompt: 'Once upon a time', ...BOUNDED });
      expect(whole.object).toBe('text_completion');
      expect(whole.choices[0]!.finish_reason).toBe('length');
      expect(whole.usage?.completion_tokens).toBe(BOUNDED.max_tokens);
      let streamed = '';
      for await (const chunk of await client.completions.create({
        model: 'llamacpp',
        prompt: 'Once upon a time',
        stream: true,
        ...BOUNDED,
      }))
        streamed += chunk.choices[0]?.text ?? '';
      expect(streamed).toBe(whole.choices[0]!.text);
      const generated = await new Ollama({ host: url })
        .generate({
          model: 'llamacpp',
          prompt: 'Once upon a time',
          suffix: 'The end.',
          options: { num_predict: 8, temperature: 0 },
        })
        .catch((e: unknown) => e);
      expect(String(generated)).toMatch(/llamacpp cannot fill in the middle: Infill is not supported by this model/);
    },
    120_000,
  );
});
