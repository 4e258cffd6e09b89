// How the demo talks: plain, greppable lines always; with a TTY (and not CI) also the Ink StatusView as a
// frame between steps. Every line goes through redact, like every other output of acode.
import { createElement } from 'react';
import { render } from 'ink';
import { redact, type Env } from '../../config/index.js';
import { statusOf, type ServiceSnapshot } from '../../machines/index.js';
import { fromServiceStatus, StatusView } from '../views/index.js';
import type { Output } from '../output/index.js';

export interface Narrator {
  readonly interactive: boolean;
  step(n: number, title: string): void;
  line(text: string): void;
  /** Raw streamed text (no newline added). */
  text(chunk: string): void;
  /** The Ink status frame of these services (TTY only; a no-op otherwise). */
  frame(services: ReadonlyArray<{ snapshot: ServiceSnapshot; model?: string; kind: string }>): Promise<void>;
}

type TtyOutput = Output & { isTTY?: boolean; columns?: number };

export function createNarrator(stdout: Output, env: Env): Narrator {
  const tty = stdout as TtyOutput;
  const interactive = tty.isTTY === true && !env.CI;
  const out = (s: string) => stdout.write(redact(s, env));
  return {
    interactive,
    step(n, title) {
      out(`\n== step ${n}: ${title}\n`);
    },
    line(text) {
      out(`${text}\n`);
    },
    text(chunk) {
      out(chunk);
    },
    async frame(services) {
      if (!interactive || services.length === 0) return;
      const reports = services.map((s) =>
        fromServiceStatus(statusOf(s.snapshot, Date.now()), {
          kind: s.kind,
          ...(s.model !== undefined ? { model: s.model } : {}),
        }),
      );
      const view = createElement(StatusView, {
        reports,
        width: Math.min(tty.columns || 80, 120),
        color: !env.NO_COLOR,
        now: new Date(),
        showKeys: false,
      });
      const instance = render(view, { stdout: stdout as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
