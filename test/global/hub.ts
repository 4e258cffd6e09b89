// vitest globalSetup: one Hugging Face hub stand-in for the whole run, in this process on a loopback
// port, serving every hub id the vLLM stand-in knows (tiny weights). HF_ENDPOINT points at it before the
// workers start, so a managed vLLM start in any test pulls from loopback. Test helpers that build an
// environment from scratch pass HF_ENDPOINT on (testHubEndpoint); one that does not gets acode's default,
// huggingface.co, which the hub guard below never lets a test reach: it is replaced with a closed port.
import type { AddressInfo } from 'node:net';
import { hubServer } from '../servers/hf-hub.js';
import { DEFAULT_HUB_KNOBS } from '../servers/lib/hub-knobs.js';
import { DEFAULT_MODELS } from '../servers/lib/knobs.js';

/** The hub ids among the stand-ins' default models (org/name, not a GGUF file). */
export const STAND_IN_HUB_MODELS = DEFAULT_MODELS.filter((m) => /^[\w.-]+\/[\w.-]+$/.test(m) && !m.endsWith('.gguf'));

export default async function setup(): Promise<() => Promise<void>> {
  const repos = [...new Set([...DEFAULT_HUB_KNOBS.repos, ...STAND_IN_HUB_MODELS])];
  const server = hubServer({ ...DEFAULT_HUB_KNOBS, repos, weightBytes: 4096 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
