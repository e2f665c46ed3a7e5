// The facility view: re-reads /api/facility every 2 s (a handful of rows; no stream needed)
// and renders every string as text.
const body = document.querySelector('#facility tbody');
const empty = document.getElementById('empty');

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function render(rows) {
  empty.hidden = rows.length > 0;
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.instrument = r.instrument;
    tr.append(
      cell(r.instrument, 'instrument'),
      cell(r.availability ?? '?', 'availability'),
      cell(r.state ?? '?', 'state'),
      cell(r.last_f1 === null ? '-' : r.last_f1.toFixed(2), r.last_low ? 'f1 low' : 'f1'),
      cell(r.last_image ?? '-', 'image'),
      cell(r.alert ? `${r.alert.kind === 'low_f1' ? 'low F1' : r.alert.kind} since ${r.alert.started}${r.alert.hint ? `: ${r.alert.hint}` : ''}` : '', r.alert ? 'alert active' : 'alert'),
    );
    return tr;
  }));
}

async function refresh() {
  try {
    const res = await fetch('/api/facility', { cache: 'no-store' });
    if (res.ok) render((await res.json()).instruments);
  } catch { /* the agent restarts: try again on the next tick */ }
}

refresh();
setInterval(refresh, 2000);
