// Timing, latency percentiles, memory sampling and run aggregation.
export const now = () => process.hrtime.bigint(); // ns, monotonic
export const secondsSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

// Runs fn() once per item and records each call's latency in microseconds.
// Returns { ops_per_s, p50_us, p99_us } over the whole loop (ops/s = items / total wall time).
export async function timedOps(items, fn) {
  const lat = new Float64Array(items.length);
  const t0 = now();
  for (let i = 0; i < items.length; i++) {
    const s = now();
    const r = fn(items[i], i);
    if (r && typeof r.then === 'function') await r;
    lat[i] = Number(now() - s) / 1e3;
  }
  const total = secondsSince(t0);
  lat.sort();
  return { ops_per_s: items.length / total, p50_us: pct(lat, 0.5), p99_us: pct(lat, 0.99), lat };
}

export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function gc() {
  if (typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc(); }
}

export const MB = 1024 * 1024;
export const heapMb = () => process.memoryUsage().heapUsed / MB;
export const rssMb = () => process.memoryUsage().rss / MB;

// Peak heap tracker: sample() at interesting points (e.g. after each message the
// receiver applies); peakDeltaMb() = highest heapUsed seen minus the baseline taken
// (after a full gc) when the tracker was created. heapUsed is process-wide, so in
// the in-process sync scenarios it includes the sender's transient allocations.
export class HeapPeak {
  constructor() { gc(); this.base = process.memoryUsage().heapUsed; this.peak = this.base; }
  sample() { const h = process.memoryUsage().heapUsed; if (h > this.peak) this.peak = h; }
  peakDeltaMb() { this.sample(); return (this.peak - this.base) / MB; }
}

// A rate is better when higher; everything else we report (times, bytes, MB, counts) when lower.
const higherIsBetter = (unit) => /\/s$/.test(unit);

// runs: array (one entry per run) of arrays of [metric, value, unit].
// Returns records with the median per metric and, when there is more than one
// run, a sibling "<metric>_min" record holding the best run.
export function aggregate(scenario, system, n, runs) {
  const order = [];
  const byMetric = new Map();
  for (const run of runs) {
    for (const [metric, value, unit] of run) {
      if (!byMetric.has(metric)) { byMetric.set(metric, { unit, values: [] }); order.push(metric); }
      byMetric.get(metric).values.push(value);
    }
  }
  const out = [];
  for (const metric of order) {
    const { unit, values } = byMetric.get(metric);
    const nums = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
    if (nums.length !== values.length || unit === 'text' || unit === 'bool') {
      out.push({ scenario, system, n, metric, value: values[0], unit });
      continue;
    }
    out.push({ scenario, system, n, metric, value: round(median(nums)), unit });
    if (nums.length > 1) {
      const best = higherIsBetter(unit) ? Math.max(...nums) : Math.min(...nums);
      out.push({ scenario, system, n, metric: `${metric}_min`, value: round(best), unit });
    }
  }
  return out;
}

const round = (v) => (Number.isInteger(v) ? v : Number(v.toPrecision(6)));

export const log = (...a) => process.stderr.write(`[bench/node] ${a.join(' ')}\n`);
