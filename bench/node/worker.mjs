// Runs ONE (system, scenario) pair in a fresh process and prints its records as
// a JSON array on stdout. run.mjs starts one of these per pair (with --expose-gc)
// so that heap/RSS numbers are not polluted by the previous system and a crash
// or out-of-memory only loses that pair.
//   node --expose-gc worker.mjs --system yjs --scenario S1 --data FILE --n N --runs R [--quick]
import { readDocs, payloadBytes } from './lib/data.mjs';
import { aggregate, log, gc } from './lib/measure.mjs';

const MODULES = {
  yjs: () => import('./lib/yjs.mjs'),
  'automerge-js': () => import('./lib/automerge.mjs'),
  pouchdb: () => import('./lib/pouchdb.mjs'),
};

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') a.quick = true;
    else if (argv[i].startsWith('--')) a[argv[i].slice(2)] = argv[++i];
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n);
const quick = !!args.quick;
const mod = await MODULES[args.system]();
const fn = mod[args.scenario];
if (!fn) {
  process.stdout.write('[]\n'); // scenario not implemented for this system: no records
  log(`${args.system} ${args.scenario}: not implemented, skipped`);
  process.exit(0);
}
const docs = await readDocs(args.data, n);
const payload = payloadBytes(docs);
// S4 is deterministic (rules, not timings): one run is enough. automerge-js at 100k documents takes minutes per
// run (each change copies the document's 100k-key map: ~130 ms per single-document update), so it runs once
// there; docs/BENCHMARKS.md says which figures are single runs.
const slow = args.system === 'automerge-js' && n >= 100000;
const runs = quick || slow || args.scenario === 'S4' ? 1 : Math.max(1, Number(args.runs || 1));
if (slow && Number(args.runs || 1) > 1) log(`automerge-js n=${n}: 1 run instead of ${args.runs} (minutes per run)`);
const results = [];
for (let r = 0; r < runs; r++) {
  gc();
  const t0 = Date.now();
  results.push(await fn({ docs, n, quick, payload, run: r }));
  log(`${args.system} ${args.scenario} n=${n} run ${r + 1}/${runs} ${((Date.now() - t0) / 1000).toFixed(2)}s`);
}
process.stdout.write(JSON.stringify(aggregate(args.scenario, args.system, n, results)) + '\n');
process.exit(0); // pouchdb/express keep handles open
