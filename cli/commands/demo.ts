// `acode demo`: the lifecycle walked through against the project's stand-in servers, in a temporary
// directory it removes afterwards. The README's main command (`npm ci && npx acode demo`).
import type { CommandRegistrar } from '../deps.js';

export const demoCommand: CommandRegistrar = (program, deps) => {
  program
    .command('demo')
    .description(
      'walk through cold start, pull, streaming, crash recovery, a port conflict and a clean stop, against stand-in servers',
    )
    // The demo's engine (servers, registry, views) loads when it runs, not at every start-up.
    .action(async () =>
      (await import('../demo/run-demo.js')).runDemo({
        stdout: deps.stdout,
        env: deps.env,
        signal: deps.signal,
        ...(deps.inspect ? { inspect: deps.inspect } : {}),
      }),
    );
};
