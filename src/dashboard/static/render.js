/* global document */
// Small DOM helpers: elements built with textContent only (never innerHTML), tables, sparklines.

const svgNamespace = 'http://www.w3.org/2000/svg';

/** An element with attributes and children (strings become text nodes). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/**
 * A table: columns are { label, value(row) → string | Node, numeric? }; an empty list shows `empty`.
 */
export function table(caption, columns, rows, empty = 'Nothing yet') {
  const head = h(
    'tr',
    {},
    columns.map((column) =>
      h('th', { scope: 'col', class: column.numeric ? 'num' : undefined }, column.label),
    ),
  );
  const body =
    rows.length === 0
      ? [h('tr', {}, h('td', { class: 'empty', colspan: columns.length }, empty))]
      : rows.map((row) =>
          h(
            'tr',
            {},
            columns.map((column, index) => {
              const cell = column.value(row);
              const attributes = { class: column.numeric ? 'num' : undefined };
              return index === 0 ? h('th', { scope: 'row', ...attributes }, cell) : h('td', attributes, cell);
            }),
          ),
        );
  return h('table', {}, h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, body));
}

/** Replaces the children of the element with this id. */
export function fill(id, ...children) {
  document.getElementById(id).replaceChildren(...children);
}

/** An inline SVG sparkline of `points` (oldest first), scaled to its own maximum. */
export function sparkline(points, label, width = 120, height = 24) {
  const svg = document.createElementNS(svgNamespace, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(svgNamespace, 'title');
  title.textContent = label;
  svg.append(title);
  if (points.length < 2) return svg;
  const max = Math.max(...points, 1e-9);
  const step = width / (points.length - 1);
  const coordinates = points.map(
    (point, index) =>
      `${(index * step).toFixed(1)},${(height - 2 - (point / max) * (height - 4)).toFixed(1)}`,
  );
  const line = document.createElementNS(svgNamespace, 'polyline');
  line.setAttribute('points', coordinates.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('stroke-linejoin', 'round');
  svg.append(line);
  return svg;
}

/** A coloured status word. */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone}` }, text);
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const usd = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 4,
});

export const format = {
  count: (value) => integer.format(value ?? 0),
  rate: (value) => (value === null || value === undefined ? '–' : decimal.format(value)),
  percent: (value) => (value === null || value === undefined ? '–' : `${decimal.format(value * 100)} %`),
  ms: (value) => (value === null || value === undefined ? '–' : `${integer.format(value)} ms`),
  usd: (value) => usd.format(value ?? 0),
  time: (iso) => (iso ? new Date(iso).toLocaleString() : '–'),
};
