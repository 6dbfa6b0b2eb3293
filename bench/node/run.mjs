// Node.js side of the Starling benchmark suite (docs/BENCHMARKS.md).
//
//   node bench/node/run.mjs --data FILE --n N --runs R \
//        --scenarios S1,S2,S3,S4,S5,S6 --systems yjs,automerge-js,pouchdb [--quick]
//
// stdout: ONE JSON array of {"scenario","system","n","metric","value","unit"}
// records and nothing else; progress goes to stderr. Every (system, scenario)
// pair runs in its own child process (worker.mjs); a failing pair yields an
// "error" record and the run goes on. Exit code 0 unless the arguments are bad.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib/measure.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SYSTEMS = ['yjs', 'automerge-js', 'pouchdb'];
const SCENARIOS = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
const TIMEOUT_S = Number(process.env.BENCH_NODE_TIMEOUT_S || 1800); // per (system, scenario)
const HEAP_MB = Number(process.env.BENCH_NODE_HEAP_MB || 8192);

function parseArgs(argv) {
  const a = { runs: '1', scenarios: SCENARIOS.join(','), systems: SYSTEMS.join(',') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') a.quick = true;
    else if (argv[i].startsWith('--') && i + 1 < argv.length) a[argv[i].slice(2)] = argv[++i];
    else throw new Error(`unexpected argument ${argv[i]}`);
  }
  if (!a.data || !a.n) throw new Error('usage: run.mjs --data FILE --n N [--runs R] [--scenarios S1,..] [--systems yjs,..] [--quick]');
  return a;
}

function runPair(system, scenario, a) {
  const argv = [`--expose-gc`, `--max-old-space-size=${HEAP_MB}`, path.join(HERE, 'worker.mjs'),
    '--system', system, '--scenario', scenario, '--data', path.resolve(a.data), '--n', a.n, '--runs', a.quick ? '1' : a.runs];
  if (a.quick) argv.push('--quick');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: HERE, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        try { return resolve({ records: JSON.parse(out) }); } catch (e) { return resolve({ error: `bad worker output: ${e.message}` }); }
      }
      resolve({ error: signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${TIMEOUT_S}s?)` : ''}` : `worker exited with code ${code}` });
    });
  });
}

const a = parseArgs(process.argv.slice(2));
const systems = a.systems.split(',').filter(Boolean);
const scenarios = a.scenarios.split(',').filter(Boolean);
for (const s of systems) if (!SYSTEMS.includes(s)) throw new Error(`unknown system ${s}`);
const records = [];
const t0 = Date.now();
for (const scenario of scenarios) {
  for (const system of systems) {
    const t = Date.now();
    log(`${system} ${scenario} n=${a.n} ...`);
    const r = await runPair(system, scenario, a);
    if (r.error) {
      log(`${system} ${scenario} FAILED: ${r.error}`);
      records.push({ scenario, system, n: Number(a.n), metric: 'error', value: r.error, unit: 'text' });
    } else {
      records.push(...r.records);
    }
    log(`${system} ${scenario} done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  }
}
log(`all done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
process.stdout.write('[\n' + records.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
