// temguard live view: the cavity size histogram (its own component: app.js calls
// renderSizeHistogram(svg, sizes, caption) with the server's summed bins). Bars on the √2 size
// bins the agent publishes, log axis as size distributions are read; only the occupied range
// is drawn. Values are numbers from the server; labels are set as text, never as HTML.
'use strict';

function renderSizeHistogram(svgEl, sizes, captionEl) {
  const NS = 'http://www.w3.org/2000/svg';
  const node = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  };
  svgEl.replaceChildren();
  const W = 360, H = 160, L = 34, B = 26, T = 8;
  const counts = sizes && Array.isArray(sizes.counts) ? sizes.counts : [];
  const edges = sizes && Array.isArray(sizes.edges_nm) ? sizes.edges_nm : [];
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total || edges.length !== counts.length + 1) {
    svgEl.append(node('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No sizes yet (needs a pixel size and reliable images).'));
    if (captionEl) captionEl.textContent = '';
    return;
  }
  let first = counts.findIndex((c) => c > 0), last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  first = Math.max(0, first - 1); last = Math.min(counts.length - 1, last + 1);
  const shown = counts.slice(first, last + 1);
  const max = Math.max(...shown);
  const bw = (W - L - 4) / shown.length;
  svgEl.append(node('line', { x1: L, y1: H - B, x2: W - 2, y2: H - B, class: 'axis' }));
  svgEl.append(node('text', { x: L - 4, y: T + 8, 'text-anchor': 'end', class: 'tick' }, max));
  shown.forEach((c, i) => {
    const h = max ? ((H - B - T) * c) / max : 0;
    const x = L + i * bw;
    const bar = node('rect', { x: x + 1, y: H - B - h, width: Math.max(1, bw - 2), height: h, class: 'bar' });
    bar.append(node('title', {}, `${edges[first + i]}–${edges[first + i + 1]} nm: ${c}`));
    svgEl.append(bar);
    if (i % 2 === 0) svgEl.append(node('text', { x, y: H - B + 14, 'text-anchor': 'middle', class: 'tick' }, edges[first + i]));
  });
  svgEl.append(node('text', { x: (L + W) / 2, y: H - 2, 'text-anchor': 'middle', class: 'tick' }, 'diameter (nm)'));
  if (captionEl) captionEl.textContent = `${total} cavities in ${sizes.images} reliable image${sizes.images === 1 ? '' : 's'}${sizes.skipped_low ? ` · ${sizes.skipped_low} low image${sizes.skipped_low === 1 ? '' : 's'} left out` : ''}`;
}
