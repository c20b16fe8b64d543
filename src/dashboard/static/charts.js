/* global document */
// Time-series charts as inline SVG, built with DOM calls only (no library, no innerHTML): lines,
// stacked areas and a breaker timeline, each with a title, a description, axis labels and a legend.
import { h } from './render.js';

const ns = 'http://www.w3.org/2000/svg';
const width = 640;
const height = 220;
const margin = { left: 64, right: 14, top: 12, bottom: 34 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
const palette = 8;
let uid = 0;

/** An SVG element with attributes and children. */
export function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(ns, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** The smallest 1, 2 or 5 × 10^k at or above `value` (an axis maximum). */
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power * (1 + 1e-9)) return step * power;
  return 10 * power;
}

const tickSteps = [60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3];
const clock = (time) =>
  new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });

/** The x scale of a history: bucket starts, the interval, and the domain they cover. */
export function timeScale(history, left = margin.left) {
  const intervalMs = history.interval_seconds * 1000;
  const from = history.buckets[0] ?? history.now;
  const to = (history.buckets.at(-1) ?? history.now) + intervalMs;
  const span = width - left - margin.right;
  const x = (time) => left + ((Math.min(Math.max(time, from), to) - from) / (to - from)) * span;
  return { from, to, intervalMs, x, left };
}

/** Clock-time ticks along the x axis at `bottom`, about six of them. */
function timeTicks(scale, bottom) {
  const span = scale.to - scale.from;
  const step = tickSteps.find((candidate) => span / candidate <= 7) ?? tickSteps.at(-1);
  const ticks = [];
  for (let time = Math.ceil(scale.from / step) * step; time <= scale.to; time += step) {
    const x = scale.x(time);
    ticks.push(
      s(
        'g',
        { class: 'tick x' },
        s('line', { x1: x, x2: x, y1: bottom, y2: bottom + 4 }),
        // A label at either edge is anchored inside the chart so it is not cut.
        s(
          'text',
          {
            x,
            y: bottom + 16,
            'text-anchor': x > width - margin.right - 16 ? 'end' : x < scale.left + 16 ? 'start' : 'middle',
          },
          clock(time),
        ),
      ),
    );
  }
  return ticks;
}

function frame(scale, yMax, yFormat, yLabel) {
  const bottom = margin.top + plotHeight;
  const grid = [0, 0.5, 1].map((share) => {
    const y = bottom - share * plotHeight;
    return s(
      'g',
      { class: 'tick y' },
      s('line', { x1: margin.left, x2: width - margin.right, y1: y, y2: y }),
      s('text', { x: margin.left - 6, y: y + 4, 'text-anchor': 'end' }, yFormat(share * yMax)),
    );
  });
  return [
    ...grid,
    ...timeTicks(scale, bottom),
    s('line', { class: 'axis', x1: margin.left, x2: width - margin.right, y1: bottom, y2: bottom }),
    s(
      'text',
      {
        class: 'axis-label',
        x: 12,
        y: margin.top + plotHeight / 2,
        transform: `rotate(-90 12 ${margin.top + plotHeight / 2})`,
        'text-anchor': 'middle',
      },
      yLabel,
    ),
    s('text', { class: 'axis-label', x: width - margin.right, y: height - 2, 'text-anchor': 'end' }, 'time'),
  ];
}

/**
 * A figure: caption, the SVG (titled and described for screen readers), the legend, and the `empty`
 * text in the plot when not null. `layout`: the SVG's height and where the empty text goes.
 */
function figure(kind, title, description, body, legend, empty, layout = {}) {
  uid += 1;
  const titleId = `chart-title-${uid}`;
  const descId = `chart-desc-${uid}`;
  const {
    svgHeight = height,
    emptyX = margin.left + plotWidth / 2,
    emptyY = margin.top + plotHeight / 2,
  } = layout;
  const svg = s(
    'svg',
    {
      class: 'chart-svg',
      viewBox: `0 0 ${width} ${svgHeight}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
      'data-chart': kind,
    },
    s('title', { id: titleId }, title),
    s('desc', { id: descId }, description),
    body,
    empty === null
      ? null
      : s('text', { class: 'empty-text', x: emptyX, y: emptyY, 'text-anchor': 'middle' }, empty),
  );
  const items = legend.map((item) =>
    h('li', {}, h('span', { class: `swatch ${item.className}`, 'aria-hidden': 'true' }), ` ${item.label}`),
  );
  return h(
    'figure',
    { class: empty === null ? 'chart' : 'chart empty', 'data-empty': empty === null ? 'false' : 'true' },
    h('figcaption', {}, title),
    svg,
    items.length === 0 ? null : h('ul', { class: 'legend', 'aria-label': `${title}: legend` }, items),
  );
}

/** Shaded spans behind a plot (breakers open), each titled. */
function spans(scale, bands) {
  return bands.map((band) =>
    s(
      'rect',
      {
        class: 'incident',
        x: scale.x(band.from),
        y: margin.top,
        width: Math.max(2, scale.x(band.to ?? scale.to) - scale.x(band.from)),
        height: plotHeight,
      },
      s('title', {}, band.label),
    ),
  );
}

/**
 * A line chart. `series`: [{ name, values (number | null per bucket), dashed? }]; a null breaks the
 * line. `bands`: spans to shade. Answers a <figure>.
 */
export function lineChart({ title, history, series, yLabel, yFormat, empty, bands = [], describe }) {
  const scale = timeScale(history);
  const values = series.flatMap((line) => line.values.filter((value) => value !== null));
  const hasData = values.some((value) => value > 0);
  const yMax = niceCeiling(Math.max(0, ...values));
  const y = (value) => margin.top + plotHeight - (value / yMax) * plotHeight;
  const step = scale.intervalMs;
  const lines = series.map((line, index) => {
    let path = '';
    let points = 0;
    const dots = [];
    line.values.forEach((value, i) => {
      if (value === null) return;
      const px = scale.x(history.buckets[i] + step / 2).toFixed(1);
      const py = y(value).toFixed(1);
      const previous = i > 0 ? line.values[i - 1] : null;
      const next = i + 1 < line.values.length ? line.values[i + 1] : null;
      path += `${previous === null ? 'M' : 'L'}${px},${py}`;
      points += 1;
      if (previous === null && (next === null || next === undefined))
        dots.push(s('circle', { cx: px, cy: py, r: 2.5 }));
    });
    const colour = `c${(line.colour ?? index) % palette}`;
    return s(
      'g',
      { class: `series ${colour}`, 'data-series': line.name, 'data-points': points },
      s('path', { class: line.dashed ? 'line dashed' : 'line', d: path }),
      dots,
    );
  });
  return figure(
    'line',
    title,
    describe ?? `${title}, ${series.length} series`,
    [...spans(scale, bands), ...frame(scale, yMax, yFormat, yLabel), ...lines],
    series.map((line, index) => ({
      label: line.name,
      className: `c${(line.colour ?? index) % palette}${line.dashed ? ' dashed' : ''}`,
    })),
    hasData ? null : empty,
  );
}

/** A stacked area chart. `series`: [{ name, values (number per bucket) }], drawn bottom up. */
export function stackedChart({ title, history, series, yLabel, yFormat, empty, describe }) {
  const scale = timeScale(history);
  const n = history.buckets.length;
  const tops = new Array(n).fill(0);
  const layers = series.map((layer) => {
    const base = tops.slice();
    layer.values.forEach((value, i) => (tops[i] += value));
    return { layer, base, top: tops.slice() };
  });
  const yMax = niceCeiling(Math.max(0, ...tops));
  const y = (value) => margin.top + plotHeight - (value / yMax) * plotHeight;
  const xs = history.buckets.map((start) => scale.x(start + scale.intervalMs / 2).toFixed(1));
  const areas = layers.map(({ layer, base, top }, index) => {
    const upper = xs.map((x, i) => `${x},${y(top[i]).toFixed(1)}`);
    const lower = xs.map((x, i) => `${x},${y(base[i]).toFixed(1)}`).reverse();
    return s(
      'g',
      { class: `series c${index % palette}`, 'data-series': layer.name, 'data-points': n },
      s('path', { class: 'area', d: `M${upper.join('L')}L${lower.join('L')}Z` }),
    );
  });
  return figure(
    'stacked',
    title,
    describe ?? `${title}, ${series.length} series stacked`,
    [...frame(scale, yMax, yFormat, yLabel), ...areas],
    series.map((layer, index) => ({ label: layer.name, className: `c${index % palette}` })),
    tops.some((value) => value > 0) ? null : empty,
  );
}

/**
 * The breaker timeline: a lane per deployment, bands where its breaker was open or half-open and
 * thinner ones for cooldowns, a line at now.
 */
export function timelineChart({ title, history, lanes, empty }) {
  // Room for the longest deployment id at the left (about 6.5 units a character at this size).
  const longest = Math.max(0, ...lanes.map((lane) => lane.id.length));
  const scale = timeScale(history, Math.min(220, Math.max(margin.left, Math.ceil(longest * 6.5) + 12)));
  const laneHeight = 22;
  const chartHeight = margin.top + Math.max(1, lanes.length) * laneHeight + margin.bottom;
  const label = (span, what) =>
    `${what} ${clock(span.from)}–${span.to === null ? 'now' : clock(span.to)}${span.error_code ? ` (${span.error_code})` : ''}`;
  const rows = lanes.map((lane, index) => {
    const top = margin.top + index * laneHeight;
    const bands = lane.states.map((span) =>
      s(
        'rect',
        {
          class: `band ${span.state}`,
          'data-state': span.state,
          x: scale.x(span.from),
          y: top + 3,
          width: Math.max(3, scale.x(span.to ?? history.now) - scale.x(span.from)),
          height: laneHeight - 6,
        },
        s('title', {}, `${lane.id}: ${label(span, `breaker ${span.state}`)}`),
      ),
    );
    const cooldowns = lane.cooldowns.map((span) =>
      s(
        'rect',
        {
          class: 'band cooldown',
          'data-state': 'cooldown',
          x: scale.x(span.from),
          y: top + laneHeight - 8,
          width: Math.max(3, scale.x(span.to) - scale.x(span.from)),
          height: 6,
        },
        s('title', {}, `${lane.id}: ${label(span, 'cooldown')}`),
      ),
    );
    return s(
      'g',
      { class: `lane ${lane.state_now}`, 'data-deployment': lane.id, 'data-state-now': lane.state_now },
      s('line', {
        class: 'lane-line',
        x1: scale.left,
        x2: width - margin.right,
        y1: top + laneHeight / 2,
        y2: top + laneHeight / 2,
      }),
      s(
        'text',
        { class: 'lane-label', x: scale.left - 6, y: top + laneHeight / 2 + 4, 'text-anchor': 'end' },
        lane.id,
      ),
      bands,
      cooldowns,
    );
  });
  const bottom = chartHeight - margin.bottom;
  const incidents = lanes.reduce((sum, lane) => sum + lane.states.length + lane.cooldowns.length, 0);
  const openNow = lanes
    .filter((lane) => lane.state_now !== 'closed')
    .map((lane) => `${lane.id} ${lane.state_now}`);
  return figure(
    'timeline',
    title,
    openNow.length === 0 ? 'Every breaker closed now.' : `Not closed now: ${openNow.join(', ')}.`,
    [
      rows,
      s('line', {
        class: 'now',
        x1: scale.x(history.now),
        x2: scale.x(history.now),
        y1: margin.top,
        y2: bottom,
      }),
      s('line', { class: 'axis', x1: scale.left, x2: width - margin.right, y1: bottom, y2: bottom }),
      timeTicks(scale, bottom),
      s(
        'text',
        { class: 'axis-label', x: width - margin.right, y: chartHeight - 2, 'text-anchor': 'end' },
        'time',
      ),
    ],
    [
      { className: 'band-key open', label: 'breaker open' },
      { className: 'band-key half-open', label: 'half-open' },
      { className: 'band-key cooldown', label: 'cooldown' },
    ],
    incidents === 0 ? empty : null,
    { svgHeight: chartHeight, emptyX: (scale.left + width - margin.right) / 2, emptyY: bottom - 6 },
  );
}
