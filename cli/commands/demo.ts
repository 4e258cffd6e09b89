// `acode demo`: the lifecycle walked through against the project's stand-in servers, in a temporary
// directory it removes afterwards. The README's main command (`npm ci && npx acode demo`).
import type { CommandRegistrar } from '../deps.js';
import { runDemo } from '../demo/run-demo.js';

export const demoCommand: CommandRegistrar = (program, deps) => {
  program
    .command('demo')
    .description('walk through cold start, pull, streaming, crash recovery, a port conflict and a clean stop, against stand-in servers')
    .action(() => runDemo({
      stdout: deps.stdout,
      env: deps.env,
      signal: deps.signal,
      ...(deps.inspect ? { inspect: deps.inspect } : {}),
    }));
};
