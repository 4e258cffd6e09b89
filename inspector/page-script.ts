// The offline inspector page's script, inlined into the page (no file, no CDN). Plain ES2020 for any
// current browser. It builds one SVG chart per service from the chart JSON, follows the live SSE stream
// or a loaded recording, and lets a slider scrub through the records.
export const PAGE_SCRIPT = String.raw`
'use strict';
const chart = JSON.parse(document.getElementById('chart').textContent);
const SVG = 'http://www.w3.org/2000/svg';
const SERVICE = /^service\.[^/]+$/;
const live = [];
let recording = null;
let source = 'live';
let pos = 0;
let follow = true;
const views = new Map();
const $ = (id) => document.getElementById(id);

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(node);
  return node;
}

function label(value) {
  if (typeof value === 'string') return { top: value, model: null, text: value };
  const top = Object.keys(value || {})[0] || '?';
  const inner = value[top];
  const model = inner && typeof inner === 'object' && typeof inner.model === 'string' ? inner.model : null;
  return { top: top, model: model, text: model ? top + '/' + model : top };
}

function shortLabel(text) {
  const parts = text.split(' / ');
  return parts.length > 2 ? parts.slice(0, 2).join(' / ') + ' +' + (parts.length - 2) : text;
}

function drawChart(svg) {
  svg.setAttribute('viewBox', '0 0 ' + chart.width + ' ' + chart.height);
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, marker);
  for (const e of chart.edges) {
    // STOP leads out of almost every state: drawn faint and unlabelled (hover shows it) to keep the chart readable.
    const stop = e.label === 'STOP';
    const g = el('g', { class: stop ? 'edge stop' : 'edge', 'data-from': e.from, 'data-to': e.to }, svg);
    el('title', {}, g).textContent = e.from + ' -> ' + e.to + ': ' + e.label;
    el('path', { d: e.path, 'marker-end': 'url(#arrow)' }, g);
    if (stop) continue;
    const t = el('text', { x: e.lx, y: e.ly - 3, 'text-anchor': 'middle' }, g);
    t.textContent = shortLabel(e.label);
  }
  for (const n of chart.nodes) {
    const g = el('g', { class: 'state', 'data-state': n.id }, svg);
    el('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 8 }, g);
    const t = el('text', { x: n.x + n.w / 2, y: n.y + 21, 'text-anchor': 'middle' }, g);
    t.textContent = n.id + (n.initial ? ' (initial)' : '');
  }
  for (const s of chart.sub) {
    const g = el('g', { class: 'substate', 'data-model': s.id }, svg);
    el('rect', { x: s.x, y: s.y, width: s.w, height: s.h, rx: 5 }, g);
    const t = el('text', { x: s.x + s.w / 2, y: s.y + 15, 'text-anchor': 'middle' }, g);
    t.textContent = 'model: ' + s.id;
  }
}

function viewFor(actor) {
  let v = views.get(actor);
  if (v) return v;
  const section = document.createElement('section');
  section.className = 'service';
  section.dataset.service = actor;
  const h = document.createElement('h2');
  h.innerHTML = '<span class="name"></span> <span class="current-label"></span>';
  h.querySelector('.name').textContent = actor;
  const path = document.createElement('div');
  path.className = 'path';
  const svg = el('svg', { class: 'chart', role: 'img' });
  svg.setAttribute('aria-label', 'state chart of ' + actor);
  drawChart(svg);
  section.append(h, path, svg);
  $('services').appendChild(section);
  v = { section: section, svg: svg, current: null };
  views.set(actor, v);
  return v;
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
    if (!r || !SERVICE.test(r.actor || '')) continue;
    if (r.kind === 'event') {
      const row = { t: r.t, actor: r.actor, event: r.event.type, from: r.source || '', state: '' };
      rows.push(row);
      pending.set(r.actor, row);
    } else if (r.kind === 'snapshot' && r.value !== undefined) {
      const l = label(r.value);
      state.set(r.actor, l);
      const p = paths.get(r.actor) || [];
      if (p[p.length - 1] !== l.text) p.push(l.text);
      paths.set(r.actor, p);
      const row = pending.get(r.actor);
      if (row) { row.state = l.text; pending.delete(r.actor); }
    }
  }
  for (const [actor, l] of state) {
    const v = viewFor(actor);
    v.section.querySelector('.current-label').textContent = l.text;
    v.section.querySelector('.path').textContent = (paths.get(actor) || []).join(' \u2192 ');
    v.svg.querySelectorAll('.current').forEach((n) => n.classList.remove('current'));
    const box = v.svg.querySelector('[data-state="' + l.top + '"]');
    if (box) box.classList.add('current');
    if (l.model) {
      const sub = v.svg.querySelector('[data-model="' + l.model + '"]');
      if (sub) sub.classList.add('current');
    }
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
