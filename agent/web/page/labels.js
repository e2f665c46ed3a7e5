// temguard live view: spot-check labelling. Click a detection to mark it wrong, drag on the
// image to add a missed cavity, then save; or confirm the image as it is. The agent checks
// each label against its own result (the boxes come from /api/labels/<sha256>, never from
// the page) and answers with the realized F1 beside the predicted one.
'use strict';

const LABEL_SVG_NS = 'http://www.w3.org/2000/svg';
/** A drag shorter than this (image pixels) is a click, not a box. */
const MIN_BOX_PX = 3;

const labelling = { active: false, sha256: null, image: null, wrong: new Set(), added: [], drag: null };

function labelSvg(tag, attrs) {
  const e = document.createElementNS(LABEL_SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function labelMsg(text, cls) {
  const m = document.getElementById('label-msg');
  m.textContent = text;
  m.className = `label-msg ${cls || 'muted'}`;
}

async function startLabelling(sha256) {
  const r = await fetch(`/api/labels/${sha256}`, { cache: 'no-store' }).catch(() => null);
  const j = r ? await r.json().catch(() => null) : null;
  if (!r || !r.ok || !j) { labelMsg((j && j.error) || 'cannot label this image', 'bad'); return; }
  Object.assign(labelling, { active: true, sha256, image: j, wrong: new Set(j.label ? j.label.wrong : []), added: j.label ? j.label.added.slice() : [], drag: null });
  const img = document.getElementById('overlay');
  img.src = `/overlay/${sha256}.jpg`;
  img.hidden = false;
  document.getElementById('overlay-msg').hidden = true;
  document.getElementById('latest-name').textContent = `labelling: ${j.rel}`;
  document.body.classList.add('labelling');
  labelMsg('Click a box to mark it wrong (again to undo); drag on the image to add a missed cavity.');
  drawLabels();
}

function stopLabelling() {
  Object.assign(labelling, { active: false, sha256: null, image: null, drag: null });
  document.body.classList.remove('labelling');
  document.getElementById('label-layer').replaceChildren();
  if (typeof renderLatest === 'function') { document.getElementById('overlay').dataset.src = ''; renderLatest(); }
}

/** Puts the layer over the picture as object-fit: contain draws it inside its square. */
function placeLayer() {
  const img = document.getElementById('overlay');
  const layer = document.getElementById('label-layer');
  const im = labelling.image;
  if (!im || !img.clientWidth) return;
  const s = Math.min(img.clientWidth / im.width, img.clientHeight / im.height);
  const w = im.width * s, h = im.height * s;
  Object.assign(layer.style, { left: `${img.offsetLeft + (img.clientWidth - w) / 2}px`, top: `${img.offsetTop + (img.clientHeight - h) / 2}px`, width: `${w}px`, height: `${h}px` });
}

function drawLabels() {
  const layer = document.getElementById('label-layer');
  const im = labelling.image;
  if (!labelling.active || !im) return;
  placeLayer();
  layer.setAttribute('preserveAspectRatio', 'none');
  layer.setAttribute('viewBox', `0 0 ${im.width} ${im.height}`);
  layer.replaceChildren();
  im.boxes.forEach((b, i) => {
    const wrong = labelling.wrong.has(i);
    const r = labelSvg('rect', { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], class: wrong ? 'lb det wrong' : 'lb det', 'data-index': i });
    r.append(labelSvg('title', {}));
    r.lastChild.textContent = wrong ? `detection ${i}: marked wrong (click to undo)` : `detection ${i}: click to mark wrong`;
    layer.append(r);
  });
  labelling.added.forEach((b, i) => layer.append(labelSvg('rect', { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], class: 'lb added', 'data-added': i })));
  if (labelling.drag && labelling.drag.box) {
    const b = labelling.drag.box;
    layer.append(labelSvg('rect', { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], class: 'lb drawing' }));
  }
  document.getElementById('label-count').textContent = `${im.boxes.length - labelling.wrong.size} kept · ${labelling.wrong.size} wrong · ${labelling.added.length} added`;
}

/** Client coordinates -> image pixels (the layer spans the picture exactly). */
function toImage(ev) {
  const layer = document.getElementById('label-layer');
  const r = layer.getBoundingClientRect();
  const im = labelling.image;
  const cx = Math.min(Math.max(ev.clientX - r.left, 0), r.width);
  const cy = Math.min(Math.max(ev.clientY - r.top, 0), r.height);
  return [Math.round((cx / r.width) * im.width), Math.round((cy / r.height) * im.height)];
}

function onDown(ev) {
  if (!labelling.active) return;
  ev.preventDefault();
  const t = ev.target;
  if (t.dataset && t.dataset.index !== undefined) {
    const i = Number(t.dataset.index);
    if (labelling.wrong.has(i)) labelling.wrong.delete(i); else labelling.wrong.add(i);
    drawLabels();
    return;
  }
  if (t.dataset && t.dataset.added !== undefined) { labelling.added.splice(Number(t.dataset.added), 1); drawLabels(); return; }
  labelling.drag = { start: toImage(ev), box: null };
  ev.currentTarget.setPointerCapture(ev.pointerId);
}

function onMove(ev) {
  const d = labelling.drag;
  if (!d) return;
  const [x, y] = toImage(ev);
  d.box = [Math.min(d.start[0], x), Math.min(d.start[1], y), Math.max(d.start[0], x), Math.max(d.start[1], y)];
  drawLabels();
}

function onUp() {
  const d = labelling.drag;
  labelling.drag = null;
  if (d && d.box && d.box[2] - d.box[0] >= MIN_BOX_PX && d.box[3] - d.box[1] >= MIN_BOX_PX) labelling.added.push(d.box);
  drawLabels();
}

async function saveLabel(confirm) {
  if (!labelling.active) return;
  const body = confirm ? { sha256: labelling.sha256, action: 'confirm' }
    : { sha256: labelling.sha256, action: 'edit', wrong: [...labelling.wrong].sort((a, b) => a - b), added: labelling.added };
  const r = await fetch('/api/labels', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => null);
  const j = r ? await r.json().catch(() => null) : null;
  if (!r || !r.ok || !j || !j.feedback) { labelMsg(`not saved: ${(j && j.error) || 'no answer from the agent'}`, 'bad'); return; }
  const f = j.feedback;
  const sign = f.error.f1 > 0 ? '+' : '';
  stopLabelling();
  labelMsg(`Saved ${f.image.rel}: realized F1 ${f.realized.f1.toFixed(2)} (P ${f.realized.precision.toFixed(2)}, R ${f.realized.recall.toFixed(2)}) · predicted ${f.predicted.f1.toFixed(2)} · error ${sign}${f.error.f1.toFixed(2)} · ${f.labelled_images} labelled`, 'ok');
  refreshSuggestions();
}

let suggestTimer = 0;
async function refreshSuggestions() {
  const ul = document.getElementById('suggestions');
  const r = await fetch('/api/labels/suggest', { cache: 'no-store' }).catch(() => null);
  const j = r && r.ok ? await r.json().catch(() => null) : null;
  ul.replaceChildren();
  const list = j && Array.isArray(j.suggestions) ? j.suggestions : [];
  const available = !!(j && j.available);
  document.getElementById('label-start').hidden = !available;
  if (!list.length) { const li = document.createElement('li'); li.className = 'muted'; li.textContent = available ? 'Nothing to suggest yet.' : 'Labelling is not available here (the view is not served by an agent).'; ul.append(li); return; }
  for (const s of list) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'suggest-btn';
    b.textContent = 'Label';
    b.addEventListener('click', () => startLabelling(s.sha256));
    const name = document.createElement('span');
    name.className = 'suggest-name ellipsis';
    name.textContent = s.rel;
    name.title = s.rel;
    const why = document.createElement('span');
    why.className = 'muted small';
    why.textContent = `F1 ${s.f1.toFixed(2)} · ${s.reasons.join(' · ')}`;
    li.append(b, name, why);
    ul.append(li);
  }
}

/** After results arrive: at most one suggestion refresh per few seconds. */
function suggestionsStale() {
  if (suggestTimer) return;
  suggestTimer = setTimeout(() => { suggestTimer = 0; refreshSuggestions(); }, 3000);
}

function initLabelling(latestSha) {
  const layer = document.getElementById('label-layer');
  layer.addEventListener('pointerdown', onDown);
  layer.addEventListener('pointermove', onMove);
  layer.addEventListener('pointerup', onUp);
  document.getElementById('overlay').addEventListener('load', placeLayer);
  window.addEventListener('resize', placeLayer);
  document.getElementById('label-start').addEventListener('click', () => { const sha = latestSha(); if (sha) startLabelling(sha); else labelMsg('No image yet.', 'warn'); });
  document.getElementById('label-save').addEventListener('click', () => saveLabel(false));
  document.getElementById('label-confirm').addEventListener('click', () => saveLabel(true));
  document.getElementById('label-cancel').addEventListener('click', () => { stopLabelling(); labelMsg(''); });
  refreshSuggestions();
}
