// The gateway's routes against the REAL llama.cpp llama-server (../shared/real-servers, or
// ACODE_REAL_LLAMA_SERVER), started by `acode serve` on the first request with --embeddings and mean
// pooling (build 9431 serves chat and embeddings together that way): a bounded chat, a text completion
// whole and streamed (temperature 0: the same tokens), embeddings, and the typed 400 for fill in the
// middle on a model without FIM tokens. Absent binary: skipped, saying which path was missing.
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
    "chat, completions (whole = streamed at temperature 0), embeddings, and FIM refused with the server's reason",
    async () => {
      if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
      const args = [...realLlamaArgs(), '--embeddings', '--pooling', 'mean'];
      const p = await project(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { binary: realLlama!.binary, model: realLlama!.model, port: await freePort() })}    args: ${JSON.stringify(args)}\n`,
      );
      projects.push(p);
      const live = p.live(['serve', '--port', String(await freePort())]);
      const url = /acode gateway on (http:\/\/\S+)/.exec(
        await live.waitForStdout(/acode gateway on (http:\/\/\S+)/),
      )![1]!;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

      const chat = await client.chat.completions.create({
        model: 'llamacpp',
        messages: [{ role: 'user', content: 'hello' }],
        ...BOUNDED,
      });
      expect(chat.choices[0]!.finish_reason).toBe('length');
      expect(chat.usage?.completion_tokens).toBe(BOUNDED.max_tokens);

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

      const vectors = await client.embeddings.create({ model: 'llamacpp', input: ['alpha', 'beta'] });
      expect(vectors.data).toHaveLength(2);
      for (const d of vectors.data) {
        expect(d.embedding.length).toBe(64);
        expect(d.embedding.every(Number.isFinite)).toBe(true);
      }
      expect(vectors.data[0]!.embedding).not.toEqual(vectors.data[1]!.embedding);
      expect(vectors.usage.prompt_tokens).toBeGreaterThan(0);
    },
    120_000,
  );
});
