// The offline inspector page: one self-contained HTML document (styles, script and the chart inlined),
// so the browser fetches nothing but this page, /events and /api/recording from 127.0.0.1.
import { LABEL_FONT, type Chart } from './chart-layout.js';
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
:root { color-scheme: light dark; --fg: #1d232a; --bg: #fbfbfa; --muted: #6b7280; --box: #ffffff; --line: #9aa3ad; --hot: #e8590c; --ok: #2b8a3e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --bg: #15181c; --muted: #9aa3ad; --box: #20252b; --line: #5c6670; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
#scrub { flex: 1 1 240px; }
#position, .path, .muted { color: var(--muted); font-size: 12px; }
main { padding: 8px 16px; }
section.actor h2 { font-size: 15px; margin: 14px 0 2px; }
.current-label { color: var(--hot); font-weight: 600; }
.chart-scroll { overflow: auto; max-height: 80vh; border: 1px solid color-mix(in srgb, var(--line) 35%, transparent); border-radius: 6px; }
svg.chart { display: block; }
svg.chart text { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.state rect { fill: var(--box); stroke: var(--line); stroke-width: 1.2; }
.state.compound > rect { fill: color-mix(in srgb, var(--line) 7%, var(--box)); }
.state.region > rect { fill: none; stroke-dasharray: 5 4; }
.state.initial > rect { stroke-width: 2.4; }
.state-label { font-size: ${LABEL_FONT.state}px; fill: var(--fg); }
.state.region > .state-label { font-size: ${LABEL_FONT.region}px; fill: var(--muted); }
.state.current > rect { stroke: var(--hot); stroke-width: 2.5; }
.state.leaf.current > rect { stroke-width: 3; fill: color-mix(in srgb, var(--hot) 16%, var(--box)); }
.state.current > .state-label { fill: var(--hot); font-weight: 600; }
.edge path { fill: none; stroke: var(--line); stroke-width: 1.1; }
.edge-text { font-size: ${LABEL_FONT.edge}px; fill: var(--muted); paint-order: stroke; stroke: var(--bg); stroke-width: 3px; stroke-linejoin: round; }
.edge.stop path { stroke-dasharray: 3 3; opacity: 0.45; }
.edge:hover path { stroke: var(--fg); stroke-width: 2; }
.arrowhead { fill: var(--line); }
table { border-collapse: collapse; width: 100%; font: 12px/1.3 ui-monospace, monospace; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid color-mix(in srgb, var(--line) 35%, transparent); }
`;

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderPage(charts: Chart[], { title = 'acode inspector' }: { title?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>acode inspector</h1>
  <label>source <select id="source"><option value="live">live (this acode process)</option></select></label>
  <input id="scrub" type="range" min="0" max="0" value="0" aria-label="scrub through the records">
  <span id="position"></span>
</header>
<main>
  <p class="muted">Served by acode on 127.0.0.1 only; nothing on this page comes from the internet. Charts are drawn from the definitions of the ${escape(charts.map((c) => c.machine).join(', '))} machines and laid out by ELK: boxes inside a box are its states, dashed boxes a parallel state's regions, a thick border the initial state; dashed edges are STOP (hover an edge for all its events).</p>
  <div id="actors"></div>
  <h2>Event log</h2>
  <table id="log"><thead><tr><th>time</th><th>actor</th><th>event</th><th>from</th><th>state after</th></tr></thead><tbody></tbody></table>
</main>
<script id="charts" type="application/json">${scriptJson(charts)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
