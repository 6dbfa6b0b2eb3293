// Generates a JSON Lines file shaped like the one the Java side writes, for
// testing the Node side on its own:  node test-data.mjs OUT N [seed]
import fs from 'node:fs';
import { rng } from './lib/data.mjs';

const [out = '/tmp/starling-bench-test.jsonl', nArg = '10000', seedArg = '7'] = process.argv.slice(2);
const n = Number(nArg);
const r = rng(Number(seedArg));
const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
const w = () => words[Math.floor(r() * words.length)];
const lines = [];
for (let i = 1; i <= n; i++) {
  const doc = {
    _id: `doc-${String(i).padStart(7, '0')}`,
    name: `${w()} ${w()}`,
    category: `c${Math.floor(r() * 10)}`,
    score: Math.floor(r() * 100000),
    active: r() < 0.5,
    tags: [w(), w(), w()],
    note: Array.from({ length: 12 }, w).join(" ").slice(0, 72),
  };
  lines.push(JSON.stringify(doc));
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.error(`wrote ${n} documents to ${out}, ${(fs.statSync(out).size / n).toFixed(0)} bytes/doc`);
