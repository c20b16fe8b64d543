/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for tests and
 * tooling. It rejects what Prometheus would reject and also checks the semantics a scraper relies
 * on: one TYPE per family before its samples, contiguous families, no duplicate series, counters
 * not negative, histogram buckets cumulative with `+Inf` equal to `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (e.g. `x_bucket` within family `x`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carried one. */
  readonly timestamp?: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  /** The unescaped HELP text, when given. */
  readonly help?: string;
  readonly samples: readonly Sample[];
}

/** A malformed exposition; `line` is 1-based. */
export class PrometheusTextError extends Error {
  override readonly name = 'PrometheusTextError';
  readonly line: number;
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const metricTypes = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

interface FamilyDraft {
  name: string;
  type: MetricType;
  typeLine?: number;
  help?: string;
  samples: Sample[];
  /** The line of each sample, for errors found after parsing. */
  sampleLines: number[];
  seen: Set<string>;
}

/** Parses a whole exposition; throws PrometheusTextError at the first problem. */
export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, FamilyDraft>();
  const closed = new Set<string>();
  let current: FamilyDraft | undefined;
  const lines = text.split('\n');
  if (text.length > 0 && lines.at(-1) !== '')
    throw new PrometheusTextError('exposition must end with a newline', lines.length);
  lines.pop();

  const open = (name: string, lineNumber: number): FamilyDraft => {
    if (current?.name === name) return current;
    if (closed.has(name) || (families.has(name) && families.get(name)?.samples.length !== 0)) {
      throw new PrometheusTextError(`samples of ${name} are not contiguous`, lineNumber);
    }
    if (current !== undefined) closed.add(current.name);
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: 'untyped', samples: [], sampleLines: [], seen: new Set() };
      families.set(name, family);
    }
    current = family;
    return family;
  };

  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (match === null) return; // a plain comment
      const [, keyword, name = '', rest = ''] = match;
      if (!metricName.test(name))
        throw new PrometheusTextError(`invalid metric name ${JSON.stringify(name)}`, lineNumber);
      const family = open(name, lineNumber);
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new PrometheusTextError(`second HELP for ${name}`, lineNumber);
        family.help = unescapeHelp(rest, lineNumber);
      } else {
        if (family.typeLine !== undefined)
          throw new PrometheusTextError(`second TYPE for ${name}`, lineNumber);
        if (family.samples.length > 0)
          throw new PrometheusTextError(`TYPE for ${name} after its samples`, lineNumber);
        const type = rest.trim();
        if (!metricTypes.has(type))
          throw new PrometheusTextError(`unknown metric type ${JSON.stringify(type)}`, lineNumber);
        family.type = type as MetricType;
        family.typeLine = lineNumber;
      }
      return;
    }
    const sample = parseSampleLine(line, lineNumber);
    const family = open(familyOf(sample.name, current), lineNumber);
    const key = seriesKey(sample.name, sample.labels);
    if (family.seen.has(key)) throw new PrometheusTextError(`duplicate series ${key}`, lineNumber);
    family.seen.add(key);
    if (family.type === 'counter' && (sample.value < 0 || Number.isNaN(sample.value))) {
      throw new PrometheusTextError(`counter ${sample.name} has value ${sample.value}`, lineNumber);
    }
    family.samples.push(sample);
    family.sampleLines.push(lineNumber);
  });

  const result: MetricFamily[] = [];
  for (const family of families.values()) {
    if (family.type === 'histogram') validateHistogram(family);
    result.push({
      name: family.name,
      type: family.type,
      ...(family.help === undefined ? {} : { help: family.help }),
      samples: family.samples,
    });
  }
  return result;
}

/** The family a sample belongs to: histogram and summary samples carry suffixes. */
function familyOf(sampleName: string, current: FamilyDraft | undefined): string {
  if (current === undefined) return sampleName;
  if (sampleName === current.name) return sampleName;
  const suffixes =
    current.type === 'histogram'
      ? ['_bucket', '_sum', '_count']
      : current.type === 'summary'
        ? ['_sum', '_count']
        : [];
  for (const suffix of suffixes) if (sampleName === current.name + suffix) return current.name;
  return sampleName;
}

function parseSampleLine(line: string, lineNumber: number): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null)
    throw new PrometheusTextError(`invalid sample line ${JSON.stringify(line)}`, lineNumber);
  const name = nameMatch[0];
  let position = name.length;
  const labels: Record<string, string> = {};
  if (line[position] === '{') {
    position = parseLabels(line, position + 1, labels, lineNumber);
  }
  const rest = line.slice(position);
  const valueMatch = /^[ \t]+(\S+)(?:[ \t]+(\S+))?[ \t]*$/.exec(rest);
  if (valueMatch === null)
    throw new PrometheusTextError(`missing or malformed value in ${JSON.stringify(line)}`, lineNumber);
  const value = parseValue(valueMatch[1] ?? '', lineNumber);
  const timestampText = valueMatch[2];
  if (timestampText === undefined) return { name, labels, value };
  if (!/^-?\d+$/.test(timestampText))
    throw new PrometheusTextError(`invalid timestamp ${timestampText}`, lineNumber);
  return { name, labels, value, timestamp: Number(timestampText) };
}

/** Parses `name="value",...}` from `start`; returns the position after the closing brace. */
function parseLabels(
  line: string,
  start: number,
  labels: Record<string, string>,
  lineNumber: number,
): number {
  let position = start;
  for (;;) {
    if (line[position] === '}') return position + 1;
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(position));
    if (nameMatch === null)
      throw new PrometheusTextError(`invalid label name at column ${position + 1}`, lineNumber);
    const name = nameMatch[0];
    if (!labelName.test(name)) throw new PrometheusTextError(`invalid label name ${name}`, lineNumber);
    if (Object.hasOwn(labels, name)) throw new PrometheusTextError(`duplicate label ${name}`, lineNumber);
    position += name.length;
    if (line[position] !== '=' || line[position + 1] !== '"') {
      throw new PrometheusTextError(`expected =" after label ${name}`, lineNumber);
    }
    position += 2;
    let value = '';
    for (;;) {
      const char = line[position];
      if (char === undefined)
        throw new PrometheusTextError(`unterminated value of label ${name}`, lineNumber);
      position++;
      if (char === '"') break;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = line[position];
      position++;
      if (escaped === '\\') value += '\\';
      else if (escaped === '"') value += '"';
      else if (escaped === 'n') value += '\n';
      else throw new PrometheusTextError(`invalid escape \\${escaped ?? ''} in label ${name}`, lineNumber);
    }
    labels[name] = value;
    if (line[position] === ',') position++;
    else if (line[position] !== '}')
      throw new PrometheusTextError(`expected , or } after label ${name}`, lineNumber);
  }
}

function parseValue(text: string, lineNumber: number): number {
  // Prometheus parses values with Go's strconv.ParseFloat: Inf and NaN in any letter case.
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new PrometheusTextError(`invalid sample value ${JSON.stringify(text)}`, lineNumber);
  }
  return Number(text);
}

function unescapeHelp(text: string, lineNumber: number): string {
  return text.replace(/\\(.?)/g, (_match, escaped: string) => {
    if (escaped === '\\') return '\\';
    if (escaped === 'n') return '\n';
    throw new PrometheusTextError(`invalid escape \\${escaped} in HELP`, lineNumber);
  });
}

function seriesKey(name: string, labels: Readonly<Record<string, string>>, omit?: string): string {
  const pairs = Object.keys(labels)
    .filter((key) => key !== omit)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${pairs.join(',')}}`;
}

function validateHistogram(family: FamilyDraft): void {
  interface Series {
    buckets: { le: number; count: number; line: number }[];
    count?: number;
    line: number;
  }
  const series = new Map<string, Series>();
  const entry = (labels: Readonly<Record<string, string>>, line: number): Series => {
    const key = seriesKey(family.name, labels, 'le');
    let found = series.get(key);
    if (found === undefined) {
      found = { buckets: [], line };
      series.set(key, found);
    }
    return found;
  };
  family.samples.forEach((sample, index) => {
    const line = family.sampleLines[index] ?? 0;
    if (sample.name === `${family.name}_bucket`) {
      const le = sample.labels['le'];
      if (le === undefined) throw new PrometheusTextError(`${sample.name} without an le label`, line);
      entry(sample.labels, line).buckets.push({ le: parseValue(le, line), count: sample.value, line });
    } else if (sample.name === `${family.name}_count`) {
      entry(sample.labels, line).count = sample.value;
    } else if (sample.name !== `${family.name}_sum`) {
      throw new PrometheusTextError(`histogram ${family.name} has a stray sample ${sample.name}`, line);
    }
  });
  for (const [key, { buckets, count, line }] of series) {
    for (let index = 1; index < buckets.length; index++) {
      const previous = buckets[index - 1];
      const bucket = buckets[index];
      if (previous === undefined || bucket === undefined) continue;
      if (!(bucket.le > previous.le)) {
        throw new PrometheusTextError(`${key}: bucket bounds not increasing`, bucket.line);
      }
      if (bucket.count < previous.count) {
        throw new PrometheusTextError(`${key}: bucket counts not cumulative`, bucket.line);
      }
    }
    const last = buckets.at(-1);
    if (last?.le !== Number.POSITIVE_INFINITY) throw new PrometheusTextError(`${key}: no +Inf bucket`, line);
    if (count === undefined) throw new PrometheusTextError(`${key}: no _count sample`, line);
    if (last.count !== count) {
      throw new PrometheusTextError(`${key}: +Inf bucket ${last.count} != _count ${count}`, last.line);
    }
  }
}

/**
 * The samples named `name` whose labels include every pair in `labels` (others may be present),
 * across all families.
 */
export function findSamples(
  families: readonly MetricFamily[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  const wanted = Object.entries(labels);
  return families.flatMap((family) =>
    family.samples.filter(
      (sample) => sample.name === name && wanted.every(([key, value]) => sample.labels[key] === value),
    ),
  );
}

/** The sum of the values of `findSamples(families, name, labels)` (0 when none match). */
export function sumSamples(
  families: readonly MetricFamily[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  return findSamples(families, name, labels).reduce((total, sample) => total + sample.value, 0);
}
