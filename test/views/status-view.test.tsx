import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_STATES, SERVICE_STATES, shouldUseColor, StatusView, type StatusReport } from '../../cli/views/index.js';
import { frameLines, report, stripAnsi, widestLine } from './fixtures.js';

afterEach(() => cleanup());

const ESC = '\u001b';

function frame(props: Parameters<typeof StatusView>[0]): string {
  const { lastFrame } = render(<StatusView {...props} />);
  return lastFrame() ?? '';
}

// A deliberately awkward fleet: every region filled, long names, a long error with an unbreakable URL.
const fleet: StatusReport[] = [
  report(),
  report({
    id: 'vllm-qwen-coder-long-name',
    kind: 'vllm',
    state: 'starting',
    model: 'Qwen/Qwen2.5-Coder-32B-Instruct-AWQ',
    modelState: 'checking',
    modelDetail: { completed: 3, total: 7, bytesPerSecond: 0 },
    pid: 312345,
    port: 8000,
    baseUrl: 'http://127.0.0.1:8000',
    uptimeMs: undefined,
    restartsInWindow: 2,
  }),
  report({
    id: 'ollama-pull',
    modelState: 'pulling',
    modelDetail: { completed: 860_000_000, total: 2_000_000_000, bytesPerSecond: 120_000_000 },
    lastError: {
      code: 'ACODE_PORT_IN_USE',
      message: `ollama: port 11434 is already in use; see http://127.0.0.1:11434/${'x'.repeat(120)}`,
      hint: 'Stop what holds port 11434, or set providers.ollama.port to a free port.',
    },
  }),
  report({
    id: 'lmstudio',
    kind: 'lmstudio',
    state: 'unavailable',
    modelState: 'missing',
    lifecycle: 'external',
    owned: false,
    modelDetail: { completed: 0, total: 0, bytesPerSecond: 0, reason: 'not in the library' },
    pid: undefined,
  }),
];

describe('StatusView: service states', () => {
  // The SGR foreground code each state is shown in; the state names themselves are the machine's, verbatim.
  const expectedColour: Record<string, number> = {
    stopped: 90,
    detecting: 33,
    starting: 33,
    healthy: 32,
    crashed: 31,
    restarting: 33,
    reloading: 33,
    stopping: 33,
    failed: 31,
    unavailable: 35,
  };
  for (const state of SERVICE_STATES) {
    it(`shows ${state} verbatim on the provider's row, coloured only when colour is on`, () => {
      const plain = frame({ reports: [report({ state })], width: 80, color: false });
      const head = frameLines(plain).find((l) => l.includes('ollama'));
      expect(head).toMatch(new RegExp(`ollama +${state} `));
      expect(plain).not.toContain(ESC);
      const coloured = frame({ reports: [report({ state })], width: 80, color: true });
      expect(coloured).toContain(`${ESC}[${expectedColour[state]}m${state}${ESC}[39m`);
    });
  }
});

describe('StatusView: model states', () => {
  const cases: Record<(typeof MODEL_STATES)[number], Partial<StatusReport>> = {
    unknown: {},
    checking: {},
    ready: {},
    pulling: { modelDetail: { completed: 860_000_000, total: 2_000_000_000, bytesPerSecond: 120_000_000 } },
    missing: { modelDetail: { completed: 0, total: 0, bytesPerSecond: 0, reason: 'not in the library' } },
  };
  const expected: Record<(typeof MODEL_STATES)[number], string> = {
    unknown: 'llama3.2:3b unknown',
    checking: 'llama3.2:3b checking',
    ready: 'llama3.2:3b ready',
    // 43% of 2 GB done, 1.14 GB left at 120 MB/s: 9.5 s, shown rounded up.
    pulling: 'llama3.2:3b pulling 43% 120 MB/s ETA 0:10',
    missing: 'llama3.2:3b missing: not in the library',
  };
  for (const modelState of MODEL_STATES) {
    it(`shows the model region for ${modelState}`, () => {
      const out = frame({ reports: [report({ modelState, ...cases[modelState] })], width: 80 });
      expect(out).toContain(expected[modelState]);
      expect(out.includes('pull [')).toBe(modelState === 'pulling');
    });
  }
  it('shows a dash when the provider reports no model', () => {
    const out = frame({ reports: [report({ model: undefined, modelState: undefined })], width: 80 });
    expect(frameLines(out).find((l) => l.includes('ollama'))).toMatch(/healthy +-$/);
  });
  it('shows "missing" alone when no reason is known, and a pull without a total without a percentage', () => {
    expect(frame({ reports: [report({ modelState: 'missing' })], width: 80 })).toMatch(/llama3\.2:3b missing\s*$/m);
    const pulling = frame({
      reports: [report({ modelState: 'pulling', modelDetail: { completed: 10, total: 0, bytesPerSecond: 2_000_000 } })],
      width: 80,
    });
    expect(pulling).toContain('llama3.2:3b pulling 2.0 MB/s');
    expect(pulling).not.toContain('%');
    expect(pulling).not.toContain('ETA');
  });
});

describe('StatusView: progress bar', () => {
  const pulling = (completed: number) =>
    report({ modelState: 'pulling', modelDetail: { completed, total: 1_000, bytesPerSecond: 100 } });
  const bar = (out: string) => {
    const line = frameLines(out).find((l) => l.includes('pull ['));
    const match = /pull \[(█*)(░*)\] (\d+%)/.exec(line ?? '');
    if (!match) throw new Error(`no progress bar in:\n${out}`);
    return { full: match[1]!.length, empty: match[2]!.length, percent: match[3] };
  };
  it('is empty at 0%', () => {
    const b = bar(frame({ reports: [pulling(0)], width: 80 }));
    expect(b).toMatchObject({ full: 0, percent: '0%' });
    expect(b.empty).toBeGreaterThanOrEqual(10);
  });
  it('is filled in proportion at 43%', () => {
    const b = bar(frame({ reports: [pulling(430)], width: 80 }));
    expect(b.percent).toBe('43%');
    expect(b.full).toBe(Math.floor(0.43 * (b.full + b.empty)));
    expect(b.full).toBeGreaterThan(0);
    expect(b.empty).toBeGreaterThan(0);
  });
  it('is full at 100% only', () => {
    const doneFrame = frame({ reports: [pulling(1_000)], width: 80 });
    expect(bar(doneFrame)).toMatchObject({ empty: 0, percent: '100%' });
    expect(doneFrame).toContain('pulling 100% 100 B/s\n');
    const almost = bar(frame({ reports: [pulling(999)], width: 80 }));
    expect(almost.percent).toBe('99%');
    expect(almost.empty).toBeGreaterThan(0);
  });
  it('is drawn for a model load once a fraction is known, and not before', () => {
    const loading = report({
      state: 'starting',
      modelState: 'checking',
      modelDetail: { completed: 1, total: 4, bytesPerSecond: 0 },
    });
    expect(frame({ reports: [loading], width: 80 })).toMatch(/load \[█+░+\] 25%/);
    const unknown = report({ state: 'starting', modelState: 'checking' });
    expect(frame({ reports: [unknown], width: 80 })).not.toContain('load [');
  });
});

describe('StatusView: the rest of a row', () => {
  it('shows lifecycle, mode, pid, port, uptime and restarts', () => {
    const out = frame({ reports: [report({ restartsInWindow: 3, mode: 'burst' })], width: 80 });
    expect(out).toContain('managed/burst  pid 4242 (acode)  port 11434  up 1:02:03  restarts 3');
    const external = frame({ reports: [report({ owned: false, pid: undefined, uptimeMs: undefined })], width: 80 });
    expect(external).toContain('pid -  port 11434  up -');
  });
  it('shows the last error as error[CODE]: message, then its hint', () => {
    const out = frame({
      reports: [
        report({ lastError: { code: 'ACODE_BINARY_MISSING', message: 'vllm not found', hint: 'Install vLLM.' } }),
      ],
      width: 80,
    });
    const lines = frameLines(out).map((l) => l.trim());
    const at = lines.indexOf('error[ACODE_BINARY_MISSING]: vllm not found');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('hint: Install vLLM.');
  });
  it('marks the selected provider', () => {
    const out = frame({ reports: [report(), report({ id: 'vllm' })], width: 80, selected: 'vllm' });
    expect(frameLines(out).filter((l) => l.startsWith('> '))).toEqual([expect.stringMatching(/^> vllm /)]);
  });
  it('shows the time of the update, the count, the key help and an optional notice', () => {
    const out = frame({
      reports: [report(), report({ id: 'b' })],
      width: 80,
      now: new Date(2026, 0, 1, 4, 5, 6),
      message: 'start ollama…',
    });
    expect(frameLines(out)[0]).toBe('acode status  2 providers  04:05:06');
    expect(out).toContain('start ollama…');
    expect(out).toContain('s start  x stop  r restart  l log  q quit');
    expect(frame({ reports: [], width: 80, showKeys: false })).not.toContain('q quit');
  });
  it('says so when there is no provider', () => {
    expect(frame({ reports: [], width: 80 })).toContain('(no providers)');
  });
});

describe('StatusView: log panel', () => {
  it('shows the last lines of the selected server, cut to the width, escape codes removed', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i}${i === 11 ? ` ${'y'.repeat(200)}` : ''}`);
    lines[10] = '\u001b[31mred\u001b[0m text';
    const out = frame({ reports: [report()], width: 80, logTail: { id: 'ollama', lines } });
    expect(out).toContain('── log: ollama ');
    const shown = frameLines(out);
    expect(shown).not.toContain('line 3');
    expect(shown).toContain('line 4');
    expect(shown).toContain('red text');
    expect(shown.find((l) => l.startsWith('line 11 '))).toMatch(/y…$/);
    expect(out).not.toContain(ESC);
    expect(widestLine(out)).toBeLessThanOrEqual(80);
  });
  it('shows loading, empty and failed panels', () => {
    expect(frame({ reports: [report()], logTail: { id: 'ollama', lines: [], loading: true } })).toContain('loading…');
    expect(frame({ reports: [report()], logTail: { id: 'ollama', lines: [] } })).toContain('(no output yet)');
    expect(frame({ reports: [report()], logTail: { id: 'ollama', lines: [], error: 'no log file' } })).toContain(
      'no log file',
    );
  });
});

describe('StatusView: narrow terminals', () => {
  for (const width of [80, 60, 40]) {
    it(`keeps every line within ${width} columns`, () => {
      const out = frame({
        reports: fleet,
        width,
        color: true,
        selected: 'ollama',
        logTail: { id: 'ollama', lines: ['z'.repeat(300)] },
        message: `error[ACODE_X]: ${'w '.repeat(80)}`,
      });
      expect(widestLine(out)).toBeLessThanOrEqual(width);
    });
  }
  it('puts a row on two lines at 80 columns and on one line when the terminal is wide', () => {
    const rows = [report(), report({ id: 'vllm', port: 8000 })];
    const narrow = frameLines(frame({ reports: rows, width: 80 }));
    const head = narrow.findIndex((l) => l.startsWith('  vllm'));
    expect(narrow[head]).not.toContain('port 8000');
    expect(narrow[head + 1]).toMatch(/^ {4}managed\/local-only .*port 8000 .*restarts 0$/);
    const wide = frameLines(frame({ reports: rows, width: 160 }));
    expect(wide.find((l) => l.startsWith('  vllm'))).toMatch(
      /vllm +healthy +llama3\.2:3b ready +managed\/local-only .*restarts 0$/,
    );
  });
  it('keeps every field whole at 60 columns, wrapping the details rather than cutting them', () => {
    const out = stripAnsi(frame({ reports: fleet, width: 60 }));
    for (const field of [
      'pid 312345 (acode)',
      'port 8000',
      'up -',
      'restarts 2',
      'ETA 0:10',
      'missing: not in the library',
    ]) {
      expect(out).toContain(field);
    }
    expect(out).toContain('hint: Stop what holds port 11434');
  });
});

describe('StatusView: NO_COLOR', () => {
  it('writes no escape code at all when colour is off, even for outside text that carries some', () => {
    const hostile = report({
      id: 'evil',
      lastError: { code: 'X', message: '\u001b[31mboom\u001b[0m', hint: '\u001b]0;t\u0007h' },
    });
    const color = shouldUseColor({ env: { NO_COLOR: '1' }, isTTY: true });
    const out = frame({ reports: [...fleet, hostile], width: 80, color, selected: 'evil', message: 'hi' });
    expect(out).not.toContain(ESC);
    expect(out).toContain('error[X]: boom');
  });
  it('writes escape codes when colour is on', () => {
    const out = frame({ reports: fleet, width: 80, color: true });
    expect(out).toContain(`${ESC}[`);
    expect(stripAnsi(out)).toBe(frame({ reports: fleet, width: 80, color: false }));
  });
});

describe('StatusView: frame snapshot', () => {
  // One reviewable picture of the whole screen at 80 columns; the assertions above carry the behaviour.
  it('renders a mixed fleet at 80 columns without colour', () => {
    const out = frame({
      reports: fleet,
      width: 80,
      selected: 'ollama',
      now: new Date(2026, 0, 1, 9, 30, 0),
      logTail: { id: 'ollama', lines: ['time=... level=INFO msg="listening on 127.0.0.1:11434"'] },
    });
    expect(out).toMatchSnapshot();
  });
});
