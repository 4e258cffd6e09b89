// What the gateway's end-to-end tests share: `acode serve` (the built CLI) started in a fresh project per
// test and cleaned up after it, what the stand-ins answer a raw prompt or a fill in the middle with, and
// a tool they call.
import type OpenAI from 'openai';
import { afterEach, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { freePort } from '../servers/harness.js';
import { plan } from '../servers/lib/tokens.js';
import { MAIN, project, type Live, type Project } from '../e2e/project.js';

/** A running `acode serve`: its project, its process (to signal it, read its output) and its URL. */
export interface LiveGateway {
  p: Project;
  live: Live;
  url: string;
}

/** Registers the cleanup hooks; the function it returns starts a gateway on a free port. */
export function liveGateways(): (configYaml: string, env?: Record<string, string>) => Promise<LiveGateway> {
  let projects: Project[] = [];
  afterEach(async () => {
    await Promise.all(projects.map((p) => p.cleanup()));
    projects = [];
  });
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  });
  return async (configYaml, env = {}) => {
    const p = await project(configYaml);
    projects.push(p);
    const live = p.live(['serve', '--port', String(await freePort())], { env });
    const out = await live.waitForStdout(/acode gateway on (http:\/\/\S+)/);
    return { p, live, url: /acode gateway on (http:\/\/\S+)/.exec(out)![1]! };
  };
}

/** What a stand-in generates for a raw prompt (its deterministic token plan). */
export function completion(model: string, prompt: string, maxTokens: number | null, tokens: number): string {
  return plan({ model, prompt, seed: undefined }, { kind: 'text' }, { maxTokens, fixedCount: tokens }).pieces.join('');
}

/** The prompt a fill in the middle is generated from on the stand-ins. */
export const fim = (prefix: string, suffix: string): string => `<fim_prefix>${prefix}<fim_suffix>${suffix}<fim_middle>`;

/** The stand-ins call a tool named in the prompt, or a weather tool for "weather". */
export const WEATHER_TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'weather of a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

/** The text of an OpenAI chat stream: its `data:` events' `delta.content`, joined. */
export function sseContent(body: string): string {
  return body
    .split('\n\n')
    .filter((e) => e.startsWith('data: {'))
    .map(
      (e) =>
        (JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '',
    )
    .join('');
}
