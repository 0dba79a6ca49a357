/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) for the metrics
 * tests: HELP and TYPE lines, samples with escaped label values, histogram families. A line it
 * cannot read is an error, so the tests also check that the exposition is well formed.
 */

export interface Sample {
  /** The sample's own name: `x`, or `x_bucket`, `x_sum`, `x_count` in a histogram family. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    const known = families.get(name);
    if (known) return known;
    const fresh: Family = { name, type: 'untyped', help: '', samples: [] };
    families.set(name, fresh);
    return fresh;
  };
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === '') return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'HELP') family(name).help = unescapeText(rest, false, where);
      else if (rest in SUFFIXES) family(name).type = rest as Family['type'];
      else throw new Error(`${where}: unknown type`);
      return;
    }
    if (line.startsWith('#')) return;
    const sample = parseSample(line, where);
    const owner = [...families.values()].find((f) => SUFFIXES[f.type].some((suffix) => `${f.name}${suffix}` === sample.name));
    (owner ?? family(sample.name)).samples.push(sample);
  });
  return families;
}

function parseSample(line: string, where: string): Sample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) throw new Error(`${where}: no metric name`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const labelName = LABEL_NAME.exec(rest)?.[0];
      if (!labelName || rest[labelName.length] !== '=' || rest[labelName.length + 1] !== '"') throw new Error(`${where}: bad label`);
      rest = rest.slice(labelName.length + 2);
      const end = closingQuote(rest, where);
      labels[labelName] = unescapeText(rest.slice(0, end), true, where);
      rest = rest.slice(end + 1);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`${where}: expected , or }`);
    }
    rest = rest.slice(1);
  }
  const fields = rest.trim().split(/\s+/);
  if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2)
    throw new Error(`${where}: expected a value and an optional timestamp`);
  const value = parseValue(fields[0] ?? '', where);
  return { name, labels, value };
}

function closingQuote(text: string, where: string): number {
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  throw new Error(`${where}: unterminated label value`);
}

function unescapeText(text: string, quoted: boolean, where: string): string {
  return text.replace(/\\(.)/g, (_, char: string) => {
    if (char === 'n') return '\n';
    if (char === '\\') return '\\';
    if (char === '"' && quoted) return '"';
    throw new Error(`${where}: bad escape \\${char}`);
  });
}

function parseValue(text: string, where: string): number {
  // As Prometheus reads values (Go's ParseFloat): Inf and NaN in any case.
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

/** The samples named `sampleName` (default: the family's own name) whose labels include every given label. */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}, sampleName = name): Sample[] {
  const family = families.get(name);
  if (!family) throw new Error(`no metric family ${name}; have: ${[...families.keys()].join(', ')}`);
  return family.samples.filter((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Counters and gauges: the sum of the matching values. Histograms: the sum of the matching counts. */
export function total(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const sampleName = families.get(name)?.type === 'histogram' ? `${name}_count` : name;
  return samples(families, name, labels, sampleName).reduce((sum, s) => sum + s.value, 0);
}
