// `acode serve` from the built CLI for the gateway suites: each started gateway's project (scratch dir,
// state dir, the servers it started) is cleaned up after every test, and a tool the stand-ins call.
import type OpenAI from 'openai';
import { afterEach, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { freePort } from '../servers/harness.js';
import { MAIN, project, type Project } from '../e2e/project.js';

/** Registers the suite's hooks; the returned function starts a gateway on a free port. */
export function gatewaySuite(): (
  configYaml: string,
  env?: Record<string, string>,
) => Promise<{ p: Project; url: string }> {
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
    return { p, url: /acode gateway on (http:\/\/\S+)/.exec(out)![1]! };
  };
}

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
