// Loading the benchmark documents and the shared payload definition.
//
// The Java side writes FILE as JSON Lines: one document per line, exactly the
// documents Starling stores ({"_id": "doc-0000001", "name", "category", "score",
// "active", "tags", "note"}, about 200 bytes each). We use the first N lines.
import fs from 'node:fs';
import readline from 'node:readline';

export async function readDocs(file, n) {
  const docs = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    docs.push(JSON.parse(line));
    if (docs.length >= n) break;
  }
  rl.close();
  if (docs.length < n) throw new Error(`${file} holds only ${docs.length} documents, ${n} requested`);
  return docs;
}

// payload_bytes: the size of the documents as JSON, identical for every Node
// system: the sum over documents of the UTF-8 length of JSON.stringify(doc)
// (the _id included, as it is part of the document in Starling's terms).
export function payloadBytes(docs) {
  let total = 0;
  for (const d of docs) total += Buffer.byteLength(JSON.stringify(d), 'utf8');
  return total;
}

// The document body without its key (yjs and automerge key their collection by _id).
export function body(doc) {
  const { _id, ...rest } = doc;
  return rest;
}

// Seeded PRNG (mulberry32) so every system touches the same "random" documents.
export function rng(seed = 42) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// k distinct random indices in [0, n), deterministic for a given seed.
export function pickDistinct(n, k, seed) {
  const r = rng(seed);
  k = Math.min(k, n);
  const chosen = new Set();
  while (chosen.size < k) chosen.add(Math.floor(r() * n));
  return [...chosen];
}

// k random indices in [0, n), repeats allowed.
export function pick(n, k, seed) {
  const r = rng(seed);
  const out = new Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor(r() * n);
  return out;
}

export function batches(arr, size = 1000) {
  const out = [];
  for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
  return out;
}
