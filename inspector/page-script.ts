// The offline inspector page's script, inlined into the page (no file, no CDN). Plain ES2020 for any
// current browser. It draws one SVG chart per actor from the laid-out charts of the machines (positions
// computed by ELK in Node, chart-layout.ts), follows the live SSE stream or a loaded recording, and lets
// a slider scrub through the records.
export const PAGE_SCRIPT = String.raw`
'use strict';
const charts = JSON.parse(document.getElementById('charts').textContent);
const SVG = 'http://www.w3.org/2000/svg';
const live = [];
let recording = null;
let source = 'live';
let pos = 0;
let follow = true;
const views = new Map();
const $ = (id) => document.getElementById(id);

// The actor named like a machine's id (registry) or <id>.<name> (service.vllm) runs that machine;
// invoked actors (parent/child names) are not drawn.
function chartOf(actor) {
  if (!actor || actor.includes('/')) return null;
  return charts.find((c) => actor === c.machine || actor.startsWith(c.machine + '.')) || null;
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(node);
  return node;
}

// The state paths a snapshot value makes active: {healthy: {model: 'ready'}} -> healthy, healthy.model, healthy.model.ready.
function activePaths(value, prefix) {
  if (typeof value === 'string') return [prefix + value];
  const out = [];
  for (const k in value || {}) out.push(prefix + k, ...activePaths(value[k], prefix + k + '.'));
  return out;
}

// As machines/status.ts names it: the top state, and the model region's state when there is one.
function label(value) {
  if (typeof value === 'string') return value;
  const top = Object.keys(value || {})[0] || '?';
  const inner = value[top];
  const model = inner && typeof inner === 'object' && typeof inner.model === 'string' ? inner.model : null;
  return model ? top + '/' + model : top;
}

// The text is pinned to the width the layout measured, so the box ELK reserved is the box drawn.
function text(box, cls, parent) {
  const t = el('text', { x: box.x, y: box.y + box.h / 2, class: cls, textLength: box.w, lengthAdjust: 'spacingAndGlyphs', 'dominant-baseline': 'central' }, parent);
  t.textContent = box.text;
  return t;
}

function drawChart(svg, chart) {
  svg.setAttribute('viewBox', '0 0 ' + chart.width + ' ' + chart.height);
  svg.setAttribute('width', chart.width);
  svg.setAttribute('height', chart.height);
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow-' + chart.machine, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, marker);
  for (const n of chart.nodes) {
    const leaf = !chart.nodes.some((c) => c.parent === n.id);
    const cls = ['state', leaf ? 'leaf' : 'compound', n.region ? 'region' : '', n.initial ? 'initial' : '', n.type === 'final' ? 'final' : ''].filter(Boolean).join(' ');
    const g = el('g', { class: cls, 'data-state': n.id }, svg);
    el('title', {}, g).textContent = n.id + (n.initial ? ' (initial)' : '') + (n.type === 'parallel' ? ' (parallel)' : '');
    el('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: n.region ? 4 : 8 }, g);
    text(n.title, 'state-label', g);
  }
  const labels = el('g', { class: 'edge-labels' });
  for (const e of chart.edges) {
    // STOP leads out of almost every state: drawn faint and unlabelled (hover shows it) to keep the chart readable.
    const g = el('g', { class: e.stop ? 'edge stop' : 'edge', 'data-from': e.from, 'data-to': e.to }, svg);
    el('title', {}, g).textContent = e.from + ' -> ' + e.to + ': ' + e.events.join(' / ');
    el('path', { d: e.path, 'marker-end': 'url(#arrow-' + chart.machine + ')' }, g);
    if (!e.label) continue;
    // Labels go on top of every edge line; each stays tied to its edge by data attributes and hover.
    const lg = el('g', { class: 'edge-label', 'data-from': e.from, 'data-to': e.to }, labels);
    el('title', {}, lg).textContent = e.from + ' -> ' + e.to + ': ' + e.events.join(' / ');
    text(e.label, 'edge-text', lg);
  }
  svg.appendChild(labels);
}

function viewFor(actor, chart) {
  let v = views.get(actor);
  if (v) return v;
  const section = document.createElement('section');
  section.className = 'actor';
  section.dataset.actor = actor;
  section.dataset.machine = chart.machine;
  const h = document.createElement('h2');
  h.innerHTML = '<span class="name"></span> <span class="current-label"></span>';
  h.querySelector('.name').textContent = actor;
  const path = document.createElement('div');
  path.className = 'path';
  const scroll = document.createElement('div');
  scroll.className = 'chart-scroll';
  const svg = el('svg', { class: 'chart', role: 'img' });
  svg.setAttribute('aria-label', 'state chart of ' + actor);
  drawChart(svg, chart);
  scroll.appendChild(svg);
  section.append(h, path, scroll);
  if (chart.reentries.length > 0) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'Not drawn (they re-enter the state they leave): ' + chart.reentries.join('; ');
    section.appendChild(note);
  }
  $('actors').appendChild(section);
  v = { section: section, svg: svg, scroll: scroll, chart: chart };
  views.set(actor, v);
  return v;
}

// A chart is drawn at its natural size in a scrolling box: bring the current top state into that box
// (the box scrolls, never the page) when it changes and is out of sight.
function reveal(v, active) {
  const node = v.chart.nodes.find((n) => n.id === active[0]);
  if (!node) return;
  const s = v.scroll;
  const seen = node.x >= s.scrollLeft && node.x + node.w <= s.scrollLeft + s.clientWidth && node.y >= s.scrollTop && node.y + node.h <= s.scrollTop + s.clientHeight;
  if (!seen) s.scrollTo({ left: node.x + node.w / 2 - s.clientWidth / 2, top: node.y + node.h / 2 - s.clientHeight / 2 });
}

function records() { return source === 'recording' && recording ? recording : live; }

function time(t) {
  const d = new Date(t);
  const p = (n, w) => String(n).padStart(w || 2, '0');
  return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
}

function render() {
  const all = records();
  const slider = $('scrub');
  slider.max = String(all.length);
  if (follow) pos = all.length;
  pos = Math.min(pos, all.length);
  slider.value = String(pos);
  $('position').textContent = pos + ' / ' + all.length + (pos > 0 && all[pos - 1] ? ' at ' + time(all[pos - 1].t) : '');
  const state = new Map();
  const paths = new Map();
  const rows = [];
  const pending = new Map();
  for (let i = 0; i < pos; i++) {
    const r = all[i];
    if (!r || !chartOf(r.actor)) continue;
    if (r.kind === 'event') {
      const row = { t: r.t, actor: r.actor, event: r.event.type, from: r.source || '', state: '' };
      rows.push(row);
      pending.set(r.actor, row);
    } else if (r.kind === 'snapshot' && r.value !== undefined) {
      const text = label(r.value);
      state.set(r.actor, { text: text, active: activePaths(r.value, '') });
      const p = paths.get(r.actor) || [];
      if (p[p.length - 1] !== text) p.push(text);
      paths.set(r.actor, p);
      const row = pending.get(r.actor);
      if (row) { row.state = text; pending.delete(r.actor); }
    }
  }
  for (const [actor, l] of state) {
    const v = viewFor(actor, chartOf(actor));
    v.section.querySelector('.current-label').textContent = l.text;
    v.section.querySelector('.path').textContent = (paths.get(actor) || []).join(' \u2192 ');
    v.svg.querySelectorAll('.current').forEach((n) => n.classList.remove('current'));
    for (const id of l.active) {
      const box = v.svg.querySelector('g.state[data-state="' + CSS.escape(id) + '"]');
      if (box) box.classList.add('current');
    }
    if (v.section.dataset.current !== l.text) reveal(v, l.active);
    v.section.dataset.current = l.text;
  }
  for (const [actor, v] of views) if (!state.has(actor)) { v.section.dataset.current = ''; v.svg.querySelectorAll('.current').forEach((n) => n.classList.remove('current')); }
  const body = $('log').querySelector('tbody');
  body.textContent = '';
  for (const row of rows.slice(-400).reverse()) {
    const tr = document.createElement('tr');
    for (const text of [time(row.t), row.actor, row.event, row.from.replace(row.actor + '/', ''), row.state]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

let queued = false;
function schedule() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => { queued = false; render(); });
}

$('scrub').addEventListener('input', (e) => {
  pos = Number(e.target.value);
  follow = pos >= records().length;
  render();
});
$('source').addEventListener('change', (e) => {
  source = e.target.value;
  views.forEach((v) => v.section.remove());
  views.clear();
  follow = source === 'live';
  pos = follow ? records().length : 0;
  render();
});

fetch('/api/recording').then((r) => (r.status === 200 ? r.json() : null)).then((rec) => {
  if (!rec) return;
  recording = rec.records;
  const opt = document.createElement('option');
  opt.value = 'recording';
  opt.textContent = 'recording: ' + rec.name + ' (' + rec.records.length + ' records)';
  $('source').appendChild(opt);
  document.body.dataset.recording = 'loaded';
});

const stream = new EventSource('/events');
stream.onopen = () => { document.body.dataset.live = 'connected'; };
stream.onerror = () => { document.body.dataset.live = 'disconnected'; };
stream.onmessage = (m) => {
  live.push(JSON.parse(m.data));
  if (source === 'live') schedule();
};
render();
`;
