// Starts the Hugging Face hub stand-in (hf-hub.ts) as a real process on a loopback port and hands back the
// URL a test sets as HF_ENDPOINT. Knobs go in typed (hubKnobEnv); stop() ends the process it started.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { serversSnapshot } from './harness-dist.js';
import { repoRoot } from './harness.js';
import { freePort } from './lib/free-port.js';
import { hubKnobEnv, type HubKnobs } from './lib/hub-knobs.js';

export { makeRepo } from './hf-hub-repos.js';
export type { HubKnobs };

export interface HubServer {
  url: string;
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

export async function startHub(knobs: Partial<HubKnobs> = {}, opts: { timeoutMs?: number } = {}): Promise<HubServer> {
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ACODE_HUB_')));
  const child = spawn(
    process.execPath,
    [join(serversSnapshot(repoRoot), 'hf-hub.js'), '--host', '127.0.0.1', '--port', String(port)],
    {
      env: { ...inherited, ...hubKnobEnv(knobs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hf-hub did not start within ${opts.timeoutMs ?? 10_000} ms:\n${output}`)),
      opts.timeoutMs ?? 10_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('hf-hub listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`hf-hub exited before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
