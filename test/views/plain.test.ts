import { describe, expect, it } from 'vitest';
import { renderPlainLine, renderPlainLines, SERVICE_STATES } from '../../cli/views/index.js';
import { report } from './fixtures.js';

describe('renderPlainLines', () => {
  it('prints one line per provider, in order, id first, then key=value fields', () => {
    const lines = renderPlainLines([
      report(),
      report({ id: 'vllm', kind: 'vllm', port: 8000, baseUrl: 'http://127.0.0.1:8000' }),
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'ollama state=healthy model=llama3.2:3b model_state=ready lifecycle=managed mode=local-only pid=4242 port=11434 ' +
        'url=http://127.0.0.1:11434 owned=yes uptime=1:02:03 restarts=0',
    );
    expect(lines[1]).toMatch(/^vllm state=healthy .* port=8000 url=http:\/\/127\.0\.0\.1:8000 /);
  });

  it('uses the machine state names verbatim, greppable as state=<name>', () => {
    for (const state of SERVICE_STATES) expect(renderPlainLine(report({ state }))).toContain(` state=${state} `);
  });

  it('adds progress, rate and ETA during a pull, and the reason when the model is missing', () => {
    const pulling = renderPlainLine(
      report({
        modelState: 'pulling',
        modelDetail: { completed: 860_000_000, total: 2_000_000_000, bytesPerSecond: 120_000_000 },
      }),
    );
    expect(pulling).toContain(' model_state=pulling progress=43% rate=120MB/s eta=0:10 lifecycle=');
    const missing = renderPlainLine(
      report({
        modelState: 'missing',
        modelDetail: { completed: 0, total: 0, bytesPerSecond: 0, reason: 'not in the library' },
      }),
    );
    expect(missing).toContain(' model_state=missing reason="not in the library" ');
  });

  it('writes - for unknown values and quotes text with spaces, so each field stays one token', () => {
    const line = renderPlainLine(
      report({
        model: undefined,
        modelState: undefined,
        pid: undefined,
        uptimeMs: undefined,
        owned: false,
        lastError: { code: 'ACODE_PORT_IN_USE', message: 'port 11434 is "taken"', hint: 'Stop it.' },
      }),
    );
    expect(line).toContain(' model=- model_state=- ');
    expect(line).toContain(' pid=- ');
    expect(line).toContain(' owned=no uptime=- ');
    expect(line).toMatch(/ error=ACODE_PORT_IN_USE message="port 11434 is \\"taken\\"" hint="Stop it\."$/);
  });

  it('never writes an escape code or a newline, whatever the engine reports', () => {
    const line = renderPlainLine(
      report({
        id: 'x',
        lastError: { code: 'C', message: '\u001b[31mred\u001b[0m\nsecond line', hint: 'h' },
      }),
    );
    expect(line).not.toContain('\u001b');
    expect(line).not.toContain('\n');
    expect(line).toContain('message="red / second line"');
  });
});
