// temguard live view. Plain JS, no framework, no external resources.
// Reads /api/state once per (re)connection, then follows /events (server-sent events).
// Every string from the agent is rendered with textContent / setAttribute, never as HTML.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const BANDS = [
  { min: 0.9, colour: '#22c55e', label: '≥ 0.9' },
  { min: 0.7, colour: '#facc15', label: '0.7–0.9' },
  { min: 0.5, colour: '#fb923c', label: '0.5–0.7' },
  { min: -Infinity, colour: '#ef4444', label: '< 0.5' },
];
const STALE_STATUS_S = 45;

const view = {
  history: [], latest: null, status: null, info: null, availability: null,
  alert: null, lastEnded: null, errors: [], link: null, stream: 'connecting', historyMax: 500, sizes: null, feedback: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

const fmt = (x, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—');
// 24-hour clock: lab logbooks and instrument software use it.
const time = (iso) => { const d = new Date(iso); return Number.isNaN(d.getTime()) ? '—' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }); };
const shortTime = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

function duration(s) {
  if (!Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function setPill(id, text, cls) {
  const p = $(id);
  p.textContent = text;
  p.className = `pill ${cls || ''}`;
}

function setKv(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, cls] of rows) {
    dl.append(el('dt', {}, k));
    dl.append(el('dd', cls ? { class: cls } : {}, v));
  }
}

// ---- pieces of the page -------------------------------------------------------------

function renderHeader() {
  const inst = (view.info && view.info.instrument) || (view.status && view.status.instrument) || '';
  $('instrument').textContent = inst ? `· ${inst}` : '';
  const a = view.availability ? view.availability.state : null;
  setPill('pill-agent', `agent: ${a || '—'}`, a === 'online' ? 'ok' : a ? 'bad' : '');
  const l = view.link;
  setPill('pill-broker', l ? (l.connected ? 'broker: connected' : 'broker: disconnected') : 'broker: —', l ? (l.connected ? 'ok' : 'bad') : '');
  // Cleared once connected: an old "Not authorized" must not outlive the fix.
  $('pill-broker').title = l && !l.connected && l.error ? `Broker error: ${l.error}` : '';
  const s = view.stream;
  const streamText = { live: 'stream: live', reconnecting: 'stream: reconnecting…', closed: 'stream: closed (reload the page)', evicted: 'stream: paused (too many open views)' }[s] || 'stream: connecting…';
  setPill('pill-stream', streamText, s === 'live' ? 'ok' : s === 'closed' ? 'bad' : 'warn');
  $('pill-stream').title = s === 'evicted' && view.evicted ? view.evicted : '';
  document.title = `${view.alert ? '⚠ ' : ''}temguard${inst ? ' · ' + inst : ''}`;
}

function renderAlert() {
  const a = view.alert;
  const box = $('alert');
  box.hidden = !a;
  if (a) {
    box.className = 'alert';
    $('alert-title').textContent = `Detection quality low since ${time(a.started)}`;
    $('alert-hint').textContent = a.hint ? `Likely cause: ${a.hint}` : 'Waiting for the next alert message for a likely cause.';
    const parts = [];
    if (a.mean_f1 !== null && a.mean_f1 !== undefined) parts.push(`mean F1 ${fmt(a.mean_f1)}`);
    if (a.min_f1 !== null && a.min_f1 !== undefined) parts.push(`min ${fmt(a.min_f1)}`);
    if (a.threshold !== null && a.threshold !== undefined) parts.push(`threshold ${fmt(a.threshold)}`);
    parts.push(a.images ? `${a.low_images} of ${a.images} images low` : `${a.low_images} images low`);
    if (a.last_image) parts.push(`last: ${a.last_image}`);
    $('alert-meta').textContent = parts.join(' · ');
  }
  const r = $('recovered');
  const e = view.lastEnded;
  r.hidden = !!a || !e;
  if (!a && e) r.textContent = `✓ Quality recovered at ${time(e.ended || e.ts)} — the alert that started ${time(e.started)} has ended (${e.low_images} low of ${e.images} images, mean F1 ${fmt(e.mean_f1)}).`;
}

function f1Class(p) {
  if (!p) return '';
  return p.low ? 'bad' : p.f1 < p.threshold + 0.1 ? 'warn' : 'ok';
}

function renderLatest() {
  const p = view.latest;
  if (!p) return;
  $('latest-name').textContent = p.rel;
  $('latest-name').title = p.rel;
  const f1 = $('latest-f1');
  f1.textContent = fmt(p.f1);
  f1.className = `f1-value ${f1Class(p)}`;
  const level = p.level ? `${Math.round(p.level * 100)}% ` : '';
  $('latest-interval').textContent = p.lo !== null && p.hi !== null ? `${level}interval ${fmt(p.lo)} – ${fmt(p.hi)}` : p.low ? 'below threshold' : '';
  setKv($('latest-kv'), [
    ['Precision / recall', `${fmt(p.precision)} / ${fmt(p.recall)}`],
    ['Detections', String(p.detections)],
    ['Domain', p.domain === null || p.domain === undefined ? '—' : p.domain || 'within what the forest knows'],
    ['Defocus', defocusText(p.defocus)],
    ['Image', p.width && p.height ? `${p.width} × ${p.height} px` : '—'],
    ['Detector', `${p.ep || '—'}${p.inference_ms !== null ? ` · ${fmt(p.inference_ms, 0)} ms` : ''}`],
    ['Analysed', `${time(p.ts)}${p.total_ms !== null ? ` · ${fmt(p.total_ms, 0)} ms total` : ''}`],
  ]);
  const img = $('overlay');
  const src = `/overlay/${p.sha256}.jpg`;
  // While the operator labels an image, the picture stays that image (labels.js).
  if (labelling.active) return;
  if (img.dataset.src !== src) {
    img.dataset.src = src;
    // Load off-screen first so the old image stays until the new one is ready. When results
    // come faster than overlays render, show each one that finishes if it is newer than the
    // one on screen (waiting for "the latest" would show nothing at all).
    const ticket = ++overlayTicket;
    const next = new Image();
    next.onload = () => {
      if (ticket <= overlayShown) return;
      overlayShown = ticket;
      img.src = src;
      img.hidden = false;
      // Under load the picture can lag the numbers beside it: say which image it is.
      img.title = p.rel;
      const latest = view.latest ? view.latest.rel : p.rel;
      $('latest-name').textContent = latest === p.rel ? p.rel : `${latest} (picture: ${p.rel})`;
      $('overlay-link').href = `/overlay/${p.sha256}.png`;
      $('overlay-msg').hidden = true;
    };
    next.onerror = () => { if (ticket > overlayShown) overlayFailed(src); };
    next.src = src;
  }
}

// Negative = under-focus, as the microscope writes it; why not, when it could not be measured.
function defocusText(d) {
  if (!d) return '—';
  if (d.um === null) return d.reason ? `not measured (${d.reason.replace(/_/g, ' ')})` : '—';
  return `${d.um > 0 ? '+' : ''}${fmt(d.um, 2)} ± ${fmt(d.sigma, 2)} µm (${d.um < 0 ? 'under' : 'over'}-focus)`;
}

let overlayTicket = 0;
let overlayShown = 0;

async function overlayFailed(src) {
  if ($('overlay').dataset.src !== src) return;
  let reason = 'overlay unavailable';
  try { const r = await fetch(src); const j = await r.json(); if (j && j.error) reason = j.error; } catch { /* keep the generic text */ }
  $('overlay').hidden = true;
  const m = $('overlay-msg');
  m.hidden = false;
  m.textContent = reason;
}

function renderStatus() {
  const s = view.status;
  const dl = $('status-kv');
  if (!s) { setKv(dl, [['State', 'no status received yet']]); return; }
  const q = s.queue || {};
  const o = s.outbox || {};
  const c = s.counters || {};
  const b = s.broker || {};
  const info = view.info || {};
  const epInfo = info.detector && info.detector.ep;
  const fallbacks = epInfo && Array.isArray(epInfo.fallbacks) && epInfo.fallbacks.length ? ` (fell back from ${epInfo.fallbacks.map((f) => f.ep).join(', ')})` : '';
  const rows = [
    ['State', s.reason ? `${s.state} — ${s.reason}` : String(s.state || '—'), s.state === 'running' ? 'ok' : 'bad'],
    ['Execution provider', `${s.ep || '—'}${fallbacks}`, s.ep === 'cpu' && fallbacks ? 'warn' : ''],
    ...(epInfo && epInfo.engine ? [['Engine', String(epInfo.engine), '']] : []),
    ['Queue', `${q.depth ?? '—'} / ${q.capacity ?? '—'}${q.busy ? ' · working' : ' · idle'}`, q.capacity && q.depth >= q.capacity ? 'bad' : ''],
    ['Outbox', `${o.depth ?? '—'} / ${o.max ?? '—'}${o.inflight ? ` · ${o.inflight} in flight` : ''}`, o.max && o.depth >= o.max * 0.9 ? 'bad' : ''],
    ['Agent → broker', b.connected === undefined ? '—' : b.connected ? 'connected' : `disconnected${b.last_error ? ' — ' + b.last_error : ''}`, b.connected === false ? 'bad' : ''],
    ['Images', `${c.processed ?? 0} processed · ${plural(c.results ?? 0, 'result')} · ${c.low ?? 0} low · ${plural(c.errors ?? 0, 'error')}`, ''],
    ['Detector', info.detector ? String(info.detector.name || info.detector.path || '—') : '—', ''],
    ['Forest', info.forest ? String(info.forest.name || info.forest.path || '—') : '—', ''],
    ['Uptime', duration(s.uptime_s), ''],
  ];
  if (info.model_error) rows.push(['Model error', String(info.model_error), 'bad']);
  setKv(dl, rows);
  renderStatusAge();
}

function renderStatusAge() {
  if (!view.status) return;
  const age = (Date.now() - Date.parse(view.status.ts)) / 1000;
  const a = $('status-age');
  a.textContent = Number.isFinite(age) ? `updated ${duration(Math.max(0, age))} ago` : '';
  a.className = age > STALE_STATUS_S ? 'stale' : 'muted';
}

function renderErrors() {
  const ul = $('errors');
  ul.replaceChildren();
  $('errors-count').textContent = view.errors.length ? `${view.errors.length} shown` : '';
  if (!view.errors.length) { ul.append(el('li', { class: 'muted' }, 'None.')); return; }
  for (const e of [...view.errors].reverse()) {
    const li = el('li');
    li.append(el('span', { class: 'err-time' }, time(e.ts)));
    li.append(el('span', { class: 'err-where' }, `${e.stage}${e.code ? '/' + e.code : ''}`));
    li.append(el('span', { class: 'err-msg' }, `${e.image ? e.image + ': ' : ''}${e.message}`));
    ul.append(li);
  }
}

function renderLegend() {
  const lg = $('legend');
  lg.replaceChildren(el('span', { class: 'muted' }, 'Box colour = confidence:'));
  for (const b of BANDS) {
    const s = el('span', { class: 'band' });
    const sw = el('i', { class: 'box-sw' });
    sw.style.borderColor = b.colour;
    s.append(sw, document.createTextNode(b.label));
    lg.append(s);
  }
}

// ---- chart ------------------------------------------------------------------------

function renderChart() {
  const root = $('chart');
  const W = Math.max(320, Math.round(root.clientWidth || 720));
  const H = 300;
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  root.replaceChildren();
  const m = { l: 40, r: 14, t: 12, b: 28 };
  const pts = view.history.map((p) => ({ ...p, t: Date.parse(p.ts) })).filter((p) => Number.isFinite(p.t));
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const y = (v) => m.t + (1 - Math.max(0, Math.min(1, v))) * ih;
  let t0 = pts.length ? pts[0].t : Date.now() - 600000;
  let t1 = pts.length ? pts[pts.length - 1].t : Date.now();
  if (t1 - t0 < 60000) { const c = (t0 + t1) / 2; t0 = c - 30000; t1 = c + 30000; }
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * iw;

  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: m.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, v.toFixed(2)));
  }
  const ticks = Math.max(2, Math.min(6, Math.floor(iw / 110)));
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    root.append(svg('text', { x: x(t), y: H - 8, class: 'axis', 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' }, shortTime(t)));
  }
  $('chart-summary').textContent = pts.length ? `${pts.length} images · ${pts.filter((p) => p.low).length} low` : 'no results yet';
  if (!pts.length) {
    root.append(svg('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }, 'Waiting for results…'));
    return;
  }

  // Alert periods, shaded: the current one up to now, the last ended one.
  const zones = [];
  if (view.alert) zones.push([Date.parse(view.alert.started), t1]);
  if (view.lastEnded) zones.push([Date.parse(view.lastEnded.started), Date.parse(view.lastEnded.ended || view.lastEnded.ts)]);
  for (const [a, b] of zones) {
    if (!Number.isFinite(a) || !Number.isFinite(b) || b < t0 || a > t1) continue;
    const xa = x(Math.max(a, t0));
    root.append(svg('rect', { x: xa, y: m.t, width: Math.max(2, x(Math.min(b, t1)) - xa), height: ih, class: 'alert-zone' }));
  }

  // Interval band: a polygon along hi, back along lo (only over points that carry one).
  const withI = pts.filter((p) => p.lo !== null && p.hi !== null);
  if (withI.length > 1) {
    const upper = withI.map((p) => `${x(p.t).toFixed(1)},${y(p.hi).toFixed(1)}`);
    const lower = withI.slice().reverse().map((p) => `${x(p.t).toFixed(1)},${y(p.lo).toFixed(1)}`);
    root.append(svg('polygon', { points: upper.concat(lower).join(' '), class: 'band' }));
  } else if (withI.length === 1) {
    const p = withI[0];
    root.append(svg('line', { x1: x(p.t), x2: x(p.t), y1: y(p.hi), y2: y(p.lo), class: 'band-line' }));
  }

  const thr = pts[pts.length - 1].threshold;
  root.append(svg('line', { x1: m.l, x2: W - m.r, y1: y(thr), y2: y(thr), class: 'threshold' }));
  root.append(svg('text', { x: W - m.r - 4, y: y(thr) - 5, class: 'thr-label', 'text-anchor': 'end' }, `threshold ${thr.toFixed(2)}`));

  const line = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.f1).toFixed(1)}`).join('');
  root.append(svg('path', { d: line, class: 'f1-line' }));

  const r = pts.length > 200 ? 2.5 : 3.5;
  for (const p of pts) {
    const c = svg('circle', { cx: x(p.t).toFixed(1), cy: y(p.f1).toFixed(1), r: p.low ? r + 1 : r, class: p.low ? 'pt low' : 'pt' });
    c.append(svg('title', {}, `${time(p.ts)}  ${p.rel}\nF1 ${fmt(p.f1)}${p.lo !== null ? ` [${fmt(p.lo)}, ${fmt(p.hi)}]` : ''}${p.low ? '  LOW' : ''}\n${p.detections} detections`));
    root.append(c);
  }

  // Spot-check labels: the realized F1 (diamond) beside the predicted one, joined by the error.
  const byImage = new Map(pts.map((p) => [p.sha256, p]));
  for (const f of view.feedback) {
    const p = byImage.get(f.sha256);
    if (!p) continue;
    const cx = x(p.t), cy = y(f.realized), d = r + 2;
    root.append(svg('line', { x1: cx, x2: cx, y1: y(p.f1), y2: cy, class: 'real-err' }));
    const dm = svg('polygon', { points: `${cx},${cy - d} ${cx + d},${cy} ${cx},${cy + d} ${cx - d},${cy}`, class: 'real' });
    dm.append(svg('title', {}, `${p.rel}\nrealized F1 ${fmt(f.realized)} · predicted ${fmt(f.predicted)} · error ${f.error > 0 ? '+' : ''}${fmt(f.error)}`));
    root.append(dm);
  }
}

// ---- data -------------------------------------------------------------------------

function applySnapshot(s) {
  Object.assign(view, {
    history: s.history || [], latest: s.latest, status: s.status, info: s.info, availability: s.availability,
    alert: s.alert, lastEnded: s.lastEnded, errors: s.errors || [], link: s.link, sizes: s.sizes || null,
    feedback: s.feedback || [],
  });
  view.historyMax = s.historyMax || 500;
  $('foot').textContent = `Reading MQTT topics ${s.root}/# · the chart keeps the last ${view.historyMax} results · times are this browser's local time`;
  renderAll();
}

function renderAll() {
  renderHeader(); renderAlert(); renderLatest(); renderStatus(); renderErrors(); renderChart(); renderSizes();
}

// The size histogram is its own component (histogram.js).
function renderSizes() { renderSizeHistogram($('sizes'), view.sizes, $('sizes-summary')); }

const HANDLERS = {
  result(d) {
    view.latest = d;
    const { width, height, precision, recall, level, ep, model, inference_ms, total_ms, sizes, defocus, ...point } = d;
    view.sizes = sizes || view.sizes;
    renderSizes();
    if (view.history.some((p) => p.seq === point.seq && p.sha256 === point.sha256)) return;
    view.history.push(point);
    if (view.history.length > view.historyMax) view.history.splice(0, view.history.length - view.historyMax);
    renderLatest(); renderChart(); suggestionsStale();
  },
  feedback(d) {
    view.feedback = view.feedback.filter((f) => f.sha256 !== d.sha256).concat([d]);
    renderChart();
  },
  status(d) { view.status = d.status; view.alert = d.alert; renderStatus(); renderAlert(); renderHeader(); },
  alert(d) { view.alert = d.alert; view.lastEnded = d.lastEnded; renderAlert(); renderHeader(); renderChart(); },
  'image-error'(d) {
    if (view.errors.some((e) => e.ts === d.ts && e.message === d.message)) return;
    view.errors.push(d); if (view.errors.length > 10) view.errors.shift(); renderErrors(); },
  availability(d) { view.availability = d; renderHeader(); },
  info(d) { view.info = d; renderHeader(); renderStatus(); },
  link(d) { view.link = d; renderHeader(); },
};

// Events that arrive while the snapshot is in flight are replayed on top of it (handlers skip duplicates).
let pending = null;

async function refresh() {
  pending = [];
  try {
    const r = await fetch('/api/state', { cache: 'no-store' });
    if (r.ok) applySnapshot(await r.json());
  } catch { /* the stream's reconnect will try again */ }
  const replay = pending;
  pending = null;
  for (const [fn, d] of replay) fn(d);
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => { view.stream = 'live'; renderHeader(); refresh(); });
  es.addEventListener('error', () => { if (view.stream !== 'evicted') view.stream = es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'; renderHeader(); });
  // The server closes the oldest stream when too many are open; the browser retries later by itself.
  es.addEventListener('evicted', (ev) => { try { view.evicted = JSON.parse(ev.data).reason; } catch { view.evicted = null; } view.stream = 'evicted'; renderHeader(); });
  for (const [name, fn] of Object.entries(HANDLERS)) {
    es.addEventListener(name, (ev) => {
      try {
        const d = JSON.parse(ev.data);
        if (pending) pending.push([fn, d]); else fn(d);
      } catch (err) { console.warn('bad event', name, err); }
    });
  }
}

renderLegend();
renderAll();
initLabelling(() => (view.latest ? view.latest.sha256 : null));
connect();
setInterval(renderStatusAge, 5000);
let resizeTimer = 0;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(renderChart, 100); });
