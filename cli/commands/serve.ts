// `acode serve [--port 11435] [--host 127.0.0.1] [--print-systemd-unit]`: the long-running gateway. One
// local endpoint speaking the OpenAI and Ollama protocols in front of every configured provider, which
// it starts on demand, watches and restarts while it runs.
import type { CommandRegistrar } from '../deps.js';

// The actions and the gateway load on first use, not at start-up.
const actions = () => import('./serve-actions.js');

export const serveCommand: CommandRegistrar = (program, deps) => {
  program
    .command('serve')
    .description(
      'run the local gateway: OpenAI (/v1) and Ollama (/api) routes in front of every provider, started on demand and watched',
    )
    .option('--port <n>', 'the port to listen on', '11435')
    .option('--host <host>', 'the address to listen on (loopback unless you say otherwise)', '127.0.0.1')
    .option('--print-systemd-unit', 'print a systemd user unit that runs this gateway at login, and exit')
    .action(async (opts: { port: string; host: string; printSystemdUnit?: boolean }) =>
      (await actions()).serve(deps, opts),
    );
};
