// A fresh, empty home for the servers one test starts: HOME, the Hugging Face cache, Ollama's model
// store and the XDG dirs all point inside it, so a stand-in (or acode, which hands servers the env it
// was given) never writes into the developer's ~/.cache/huggingface, ~/.ollama or ~/.local/state.
// Every home this process made is removed when it exits.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let parent: string | undefined;

function homesDir(): string {
  if (parent === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'acode-homes-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    parent = made;
  }
  return parent;
}

let count = 0;

/**
 * The hub a test's servers and acode may reach: the suite's hub stand-in (test/global/hub.ts exports it as
 * HF_ENDPOINT), and never huggingface.co: without it, a closed loopback port, so a forgotten hub fails
 * as unreachable instead of downloading.
 */
export function testHubEndpoint(): string {
  const url = process.env.HF_ENDPOINT;
  return url !== undefined && /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d+\/?$/.test(url) ? url : CLOSED_HUB;
}
/** Port 9 (discard) on loopback: nothing listens there in a test run. */
export const CLOSED_HUB = 'http://127.0.0.1:9';

/** The env entries that move every per-user location a server writes into a new scratch dir. */
export function scratchHomeEnv(home = join(homesDir(), String((count += 1)))): Record<string, string> {
  mkdirSync(home, { recursive: true });
  return {
    HOME: home,
    HF_HOME: join(home, 'hf'),
    HF_ENDPOINT: testHubEndpoint(),
    OLLAMA_MODELS: join(home, 'models'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  };
}
