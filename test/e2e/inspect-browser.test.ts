// `acode inspect` in a real browser (Debian's chromium through playwright-core): the page shows the
// vLLM stand-in's state live; after the test SIGKILLs the server the highlighted state goes through
// crashed and restarting back to healthy; a loaded recording can be scrubbed; and the page never makes
// a request outside 127.0.0.1. Build first: npx tsc -p tsconfig.json
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseRecording } from '../../inspector/index.js';
import { serversBinDir, startTestServer, type TestServer } from '../servers/harness.js';
import { readDrawnCharts, readabilityFaults } from './chart-geometry.js';
import { MAIN, project, providerYaml, type Project } from './project.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED inspect-browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);
const INCIDENT = fileURLToPath(new URL('../replays/incident-vllm-killed-mid-stream.jsonl', import.meta.url));
// `acode --record f ask`: vllm dies on the first token, the request machine falls back to llamacpp.
const FALLBACK = fileURLToPath(new URL('../replays/ask-fallback-request.jsonl', import.meta.url));
const MODEL = 'meta-llama/Llama-2-7b-hf';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Runs `acode inspect ...` in the project until the test ends; resolves with the page URL it prints. */
async function startInspect(
  p: Project,
  args: string[],
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [MAIN, 'inspect', '--port', '0', ...args], {
    cwd: p.dir,
    env: p.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    p.startedPids();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    // SIGINT is the user's Ctrl-C: the command disposes the registry (stop_on_exit) and closes the page.
    if (child.exitCode === null) child.kill('SIGINT');
    const bound = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(bound);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const bound = setTimeout(() => reject(new Error(`acode inspect printed no URL:\n${out}`)), 20_000);
    const look = () => {
      const m = /acode inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m?.[1]) {
        clearTimeout(bound);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', () => {
      clearTimeout(bound);
      reject(new Error(`acode inspect exited early:\n${out}`));
    });
  });
  return { url, child, output: () => out };
}

async function openPage(url: string): Promise<{ page: Page; requests: string[] }> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, requests };
}

// The project compiles without the DOM lib: page callbacks (run in the browser, so casts only) see this shape.
type Dom = { dataset: Record<string, string | undefined>; value: string; textContent: string | null };
type Q = Dom & { querySelector(selector: string): Q | null };
const current = (page: Page, service: string) =>
  page.$eval(`section[data-actor="${service}"]`, (s) => (s as unknown as Dom).dataset.current ?? '').catch(() => '');

// The page over a loaded recording (nothing supervised), scrubbed to the recording's last event.
async function recordingAtItsEnd(file: string): Promise<Page> {
  const p = await project('providers:\n  active: vllm\n');
  cleanups.push(() => p.cleanup());
  const { url } = await startInspect(p, ['--no-supervise', '--open-recording', file]);
  const { page } = await openPage(url);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.waitForSelector('body[data-recording="loaded"]', { timeout: 20_000 });
  await page.selectOption('#source', 'recording');
  const records = parseRecording((await import('node:fs')).readFileSync(file, 'utf8'));
  await page.$eval(
    '#scrub',
    (el, v) => {
      (el as unknown as Dom).value = String(v);
      (el as unknown as { dispatchEvent(e: unknown): void }).dispatchEvent(new Event('input'));
    },
    records.length,
  );
  return page;
}

describe.skipIf(!hasChromium)('acode inspect in headless Chromium', () => {
  it('shows the live state, follows a SIGKILLed server through crashed and restarting back to healthy, and stays on 127.0.0.1', async () => {
    const server: TestServer = await startTestServer('vllm', { model: MODEL });
    cleanups.push(() => server.stop());
    const p = await project(
      `providers:\n  active: vllm\n${providerYaml(
        'vllm',
        { model: MODEL, port: server.port, binary: join(serversBinDir, 'vllm') },
        { health_check_interval_seconds: 1, stop_on_exit: true, max_restarts: 3 },
      )}`,
    );
    cleanups.push(() => p.cleanup());
    const { url } = await startInspect(p, []);
    const { page, requests } = await openPage(url);

    await page.waitForSelector('section[data-actor="service.vllm"][data-current="healthy/ready"]', { timeout: 20_000 });
    const active = () =>
      page.$$eval('section[data-actor="service.vllm"] g.state.current', (gs) =>
        gs.map((g) => g.getAttribute('data-state')),
      );
    expect(await active()).toEqual(
      expect.arrayContaining(['healthy', 'healthy.model', 'healthy.model.ready', 'healthy.gpu', 'healthy.probe']),
    );
    // Drawn from the machine definition: every state is a box (nested in its parent's), transitions are labelled edges.
    const boxes = await page.$$eval('section[data-actor="service.vllm"] g.state', (gs) =>
      gs.map((g) => g.getAttribute('data-state')),
    );
    expect(boxes.filter((b) => !b?.includes('.'))).toEqual([
      'stopped',
      'detecting',
      'starting',
      'healthy',
      'crashed',
      'restarting',
      'reloading',
      'stopping',
      'failed',
      'unavailable',
    ]);
    expect(boxes).toEqual(
      expect.arrayContaining([
        'starting.proc.spawning',
        'starting.readiness.loading',
        'healthy.gpu.watching',
        'failed.idle',
      ]),
    );
    expect(
      await page.$$eval(
        'section[data-actor="service.vllm"] g.edge-label[data-from="crashed"][data-to="restarting"] text',
        (t) => t.map((x) => x.textContent),
      ),
    ).toEqual(['after settle']);
    // The registry runs beside the services, drawn with its own machine's chart.
    expect(
      await page.$$eval('section[data-actor="registry"] g.state.current', (gs) =>
        gs.map((g) => g.getAttribute('data-state')),
      ),
    ).toEqual(['running']);

    process.kill(server.pid, 'SIGKILL');
    // Every state the page highlighted is on its path line; wait until it went through the crash and back.
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: Q }).document;
        const s = doc.querySelector('section[data-actor="service.vllm"]');
        const path = s?.querySelector('.path')?.textContent ?? '';
        const after = path.slice(path.indexOf('crashed'));
        return path.includes('crashed') && after.includes('restarting') && s?.dataset.current === 'healthy/ready';
      },
      undefined,
      { timeout: 30_000 },
    );
    const path = await page.$eval('section[data-actor="service.vllm"] .path', (d) => d.textContent ?? '');
    expect(path).toMatch(/healthy\/ready → crashed → restarting → starting → healthy\/unknown/);
    expect(await active()).toEqual(expect.arrayContaining(['healthy', 'healthy.model']));
    // The event log has timestamps and the failure that caused the crash.
    const log = await page.$$eval('#log tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(log.some((r) => r[2] === 'PROBE_FAILED' && r[4] === 'crashed')).toBe(true);
    expect(log.every((r) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(r[0] ?? ''))).toBe(true);

    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(url) && !u.startsWith('data:'))).toEqual([]);
  }, 90_000);

  it('scrubs a loaded recording with the slider (no supervision)', async () => {
    const p = await project('providers:\n  active: vllm\n');
    cleanups.push(() => p.cleanup());
    const { url, output } = await startInspect(p, ['--no-supervise', '--open-recording', INCIDENT]);
    const { page, requests } = await openPage(url);
    await page.waitForSelector('body[data-recording="loaded"]', { timeout: 20_000 });
    await page.selectOption('#source', 'recording');

    // The record index right after the vLLM service's crashed snapshot, read from the file itself.
    const { readFileSync } = await import('node:fs');
    const records = parseRecording(readFileSync(INCIDENT, 'utf8'));
    const crashedAt = records.findIndex(
      (r) => r.kind === 'snapshot' && r.actor === 'service.vllm' && r.value === 'crashed',
    );
    expect(crashedAt).toBeGreaterThan(0);
    const scrub = (n: number) =>
      page.$eval(
        '#scrub',
        (el, v) => {
          (el as unknown as Dom).value = String(v);
          (el as unknown as { dispatchEvent(e: unknown): void }).dispatchEvent(new Event('input'));
        },
        n,
      );

    await scrub(crashedAt + 1);
    expect(await current(page, 'service.vllm')).toBe('crashed');
    expect(
      await page.$eval('section[data-actor="service.vllm"] g.state.current', (g) => g.getAttribute('data-state')),
    ).toBe('crashed');
    await scrub(records.length);
    expect(await current(page, 'service.vllm')).toBe('stopped');
    expect(await current(page, 'service.llamacpp')).toBe('failed');
    await scrub(0);
    expect(await page.$$eval('section.actor g.state.current', (g) => g.length)).toBe(0);

    expect(output()).not.toMatch(/supervising/);
    expect(requests.filter((u) => !u.startsWith(url) && !u.startsWith('data:'))).toEqual([]);
  }, 60_000);

  it('draws charts a person can read: no label on another, none on a state it is not about, no edge through a state', async (ctx) => {
    // The whole recording: every actor it names has its chart on the page (three services, the registry).
    const page = await recordingAtItsEnd(INCIDENT);
    await page.waitForSelector('svg.chart', { timeout: 10_000 });

    const dir = await mkdtemp(join(tmpdir(), 'acode-inspector-shot-'));
    const screenshot = join(dir, 'inspector.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`inspector page screenshot: ${screenshot}`);
    // A message only: an attachment would be copied into the worktree (.vitest-attachments).
    await ctx.annotate(`screenshot: ${screenshot}`);

    const drawn = await readDrawnCharts(page);
    console.log(
      `drawn: ${new Set(drawn.states.map((s) => s.chart)).size} charts, ${drawn.states.length} states, ${drawn.labels.length} edge labels, ${drawn.edges.length} edges`,
    );
    // Enough drawn that the checks mean something: every service state and its labelled transitions.
    expect(drawn.states.filter((s) => s.id === 'healthy').length).toBeGreaterThanOrEqual(3);
    expect(drawn.labels.length).toBeGreaterThan(30);
    const faults = readabilityFaults(drawn);
    if (faults.length > 0) console.log(`${faults.length} readability faults:\n  ${faults.slice(0, 40).join('\n  ')}`);
    expect(faults).toEqual([]);
  }, 90_000);

  it('draws the request machine beside the services: a recorded fallback ends in done, readable', async () => {
    const page = await recordingAtItsEnd(FALLBACK);
    await page.waitForSelector('section[data-actor="request.1"] svg.chart', { timeout: 10_000 });
    const states = await page.$$eval('section[data-actor="request.1"] g.state', (gs) =>
      gs.map((g) => g.getAttribute('data-state')),
    );
    expect(states).toEqual(
      expect.arrayContaining([
        'selecting',
        'acquiring',
        'streaming',
        'interrupted',
        'recovering',
        'falling-back',
        'done',
        'failed',
      ]),
    );
    expect(await current(page, 'request.1')).toBe('done');
    const drawn = await readDrawnCharts(page);
    expect(readabilityFaults(drawn)).toEqual([]);
  }, 90_000);
});
