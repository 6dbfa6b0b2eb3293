// PouchDB 9 scenarios: memory adapter (memdown) for every local database, and
// express-pouchdb (minimumForPouchDB mode, in-memory config) serving peer A over
// HTTP on 127.0.0.1 for the replication scenarios.
//
// Model: one database; each document is stored as-is with its _id.
import http from 'node:http';
import PouchDB from 'pouchdb';
import memoryAdapter from 'pouchdb-adapter-memory';
import findPlugin from 'pouchdb-find';
import expressPouchdb from 'express-pouchdb';
import { batches, pick, pickDistinct } from './data.mjs';
import { timedOps, now, secondsSince, gc, heapMb, rssMb, HeapPeak } from './measure.mjs';
import { topology } from './pipe.mjs';

PouchDB.plugin(memoryAdapter);
PouchDB.plugin(findPlugin);
const MemPouch = PouchDB.defaults({ adapter: 'memory' });
let seq = 0;
const uniq = (p) => `${p}_${process.pid}_${++seq}`;

// express-pouchdb on an ephemeral loopback port. Wire bytes are the server-side
// socket counters: bytesWritten = A→B (responses), bytesRead = B→A (requests),
// HTTP headers included. round trips = HTTP requests served.
async function startServer() {
  const app = expressPouchdb(MemPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true });
  const server = http.createServer(app);
  const sockets = new Set();
  let requests = 0;
  server.on('connection', (s) => sockets.add(s));
  server.on('request', () => { requests++; });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const counters = () => {
    let w = 0, r = 0;
    for (const s of sockets) { w += s.bytesWritten; r += s.bytesRead; }
    return { aToB: w, bToA: r, requests };
  };
  return { base, counters, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

// Replicates remote(A) → local db B over HTTP and measures it.
async function replicateFrom(srv, nameA, db, hp) {
  const c0 = srv.counters();
  const t0 = now();
  const remote = new PouchDB(`${srv.base}/${nameA}`); // default batch_size (100), like an app would
  const rep = db.replicate.from(remote);
  if (hp) rep.on('change', () => hp.sample());
  const res = await rep;
  const seconds = secondsSince(t0);
  const c1 = srv.counters();
  if (res.status && res.status !== 'complete') throw new Error(`replication ${res.status}`);
  return { seconds, aToB: c1.aToB - c0.aToB, bToA: c1.bToA - c0.bToA, requests: c1.requests - c0.requests, res };
}

async function insertAll(db, docs) {
  for (const batch of batches(docs)) await db.bulkDocs(batch.map((d) => ({ ...d })));
}

export async function S1({ docs, n }) {
  const db = new MemPouch(uniq('s1'));
  const t0 = now();
  await insertAll(db, docs); // one bulkDocs per 1,000 docs
  const insertSec = secondsSince(t0);
  gc();
  const out = [['inserts_per_s', n / insertSec, 'ops/s'], ['heap_mb', heapMb(), 'MB'], ['rss_mb', rssMb(), 'MB']];
  const ids = (idx) => idx.map((i) => docs[i]._id);
  // update = get + put (PouchDB needs the current _rev: read-modify-write)
  const upd = await timedOps(ids(pick(n, 1000, 1)), async (id, i) => { const d = await db.get(id); d.score = 100000 + i; await db.put(d); });
  out.push(['update_ops_per_s', upd.ops_per_s, 'ops/s'], ['update_p50_us', upd.p50_us, 'us'], ['update_p99_us', upd.p99_us, 'us']);
  const look = await timedOps(ids(pick(n, 1000, 2)), (id) => db.get(id));
  out.push(['lookup_ops_per_s', look.ops_per_s, 'ops/s'], ['lookup_p50_us', look.p50_us, 'us'], ['lookup_p99_us', look.p99_us, 'us']);
  // query: pouchdb-find Mango selector with NO index created → it scans _all_docs
  // in memory (the closest analogue to the other systems' full scans).
  const selector = { category: 'c3', score: { $gt: 50000 } };
  const q = await timedOps(new Array(20).fill(0), () => db.find({ selector }));
  out.push(['query_ops_per_s', q.ops_per_s, 'ops/s'], ['query_p50_ms', q.p50_us / 1000, 'ms']);
  // delete = get + remove
  const del = await timedOps(ids(pickDistinct(n, 1000, 3)), async (id) => { const d = await db.get(id); await db.remove(d); });
  out.push(['delete_ops_per_s', del.ops_per_s, 'ops/s']);
  await db.destroy();
  return out;
}

export async function S2({ docs, n, payload }) {
  const srv = await startServer();
  try {
    const nameA = uniq('a');
    const a = new MemPouch(nameA);
    await insertAll(a, docs);
    const hp = new HeapPeak(); // process-wide: includes the in-process server's work for A
    const b = new MemPouch(uniq('b'));
    const r = await replicateFrom(srv, nameA, b, hp);
    const info = await b.info();
    if (info.doc_count !== n) throw new Error(`B holds ${info.doc_count} docs, expected ${n}`);
    return [
      ['sync_seconds', r.seconds, 's'],
      ['wire_bytes_a_to_b', r.aToB, 'bytes'],
      ['wire_bytes_b_to_a', r.bToA, 'bytes'],
      ['payload_bytes', payload, 'bytes'],
      ['round_trips', r.requests, 'count'],
      ['receiver_peak_heap_mb', hp.peakDeltaMb(), 'MB'],
    ];
  } finally { await srv.close(); }
}

// S3: warm = B replicates again from the same URL, so PouchDB finds its
// checkpoint (_local/<replication id>) on both sides and only reads changes since.
// cold = B2 got the same data by a LOCAL replication B → B2 (different replication
// id, no checkpoint with A), then replicates from A: it reads A's whole changes
// feed and asks _revs_diff for every doc, and finds only the k changed ones missing.
export async function S3({ docs, n, quick }) {
  const ks = quick ? [10] : [1, 10, 100];
  const srv = await startServer();
  try {
    const nameA = uniq('a');
    const a = new MemPouch(nameA);
    await insertAll(a, docs);
    const b = new MemPouch(uniq('b'));
    await replicateFrom(srv, nameA, b);
    const out = [];
    for (const k of ks) {
      const b2 = new MemPouch(uniq('b2'));
      await b.replicate.to(b2);
      const targets = pickDistinct(n, k, 100 + k).map((i) => docs[i]._id);
      const cur = await a.allDocs({ keys: targets, include_docs: true });
      await a.bulkDocs(cur.rows.map((r) => ({ ...r.doc, score: 200000 + k })));
      const warm = await replicateFrom(srv, nameA, b);
      const cold = await replicateFrom(srv, nameA, b2);
      if (warm.res.docs_written !== k || cold.res.docs_written !== k) throw new Error(`S3 wrote ${warm.res.docs_written}/${cold.res.docs_written}, expected ${k}`);
      out.push([`reconnect_bytes_k${k}_warm`, warm.aToB + warm.bToA, 'bytes'], [`reconnect_seconds_k${k}_warm`, warm.seconds, 's']);
      out.push([`reconnect_bytes_k${k}_cold`, cold.aToB + cold.bToA, 'bytes'], [`reconnect_seconds_k${k}_cold`, cold.seconds, 's']);
      await b2.destroy();
    }
    return out;
  } finally { await srv.close(); }
}

// S4: two local memory databases from a common state, edited offline, then
// replicated both ways (local replication: same conflict handling as over HTTP).
// PouchDB conflicts are per document: every replica deterministically picks the
// same winning revision (non-deleted leaves first, then the longest revision
// history, then the highest rev hash) and keeps the losers as _conflicts.
export async function S4() {
  const out = [];
  const cases = {
    same_field: [(d) => ({ ...d, score: 100 }), (d) => ({ ...d, score: 200 })],
    different_fields: [(d) => ({ ...d, score: 100 }), (d) => ({ ...d, name: 'bee' })],
    delete_vs_update: [(d) => ({ ...d, _deleted: true }), (d) => ({ ...d, score: 200 })],
    counter: [(d) => ({ ...d, counter: d.counter + 1 }), (d) => ({ ...d, counter: d.counter + 2 })], // read-modify-write
  };
  for (const [name, [editA, editB]] of Object.entries(cases)) {
    const a = new MemPouch(uniq('s4a')), b = new MemPouch(uniq('s4b'));
    await a.put({ _id: 'd1', score: 1, name: 'x', counter: 0 });
    await a.replicate.to(b);
    await a.put(editA(await a.get('d1')));
    await b.put(editB(await b.get('d1')));
    await a.replicate.to(b);
    await b.replicate.to(a);
    const get = (db) => db.get('d1', { conflicts: true }).catch((e) => ({ missing: e.status }));
    const da = await get(a), db_ = await get(b);
    const converged = JSON.stringify(da) === JSON.stringify(db_) ? 1 : 0;
    const kept = `${(da._conflicts || []).length} rev kept in _conflicts`;
    let rule;
    if (name === 'same_field') rule = `doc conflict, winner by rev hash (score ${da.score}); ${kept}`;
    else if (name === 'different_fields') rule = da.score === 100 && da.name === 'bee' ? 'both kept' : `doc conflict, one version wins, other edit lost; ${kept}`;
    else if (name === 'delete_vs_update') rule = da.missing ? 'delete wins' : 'update wins (non-deleted leaf preferred)';
    else rule = da.counter === 3 ? 'counter 3' : `lost update: ${da.counter} (read-modify-write); ${kept}`;
    out.push([`converged_${name}`, converged, 'bool'], [`rule_${name}`, rule, 'text']);
    await a.destroy(); await b.destroy();
  }
  return out;
}

// S5: every peer is a memory database served by ONE express-pouchdb server; on
// each edge [x, y], y runs a one-shot two-way sync (y.sync(http://../x)). The
// edges sync in parallel passes (Promise.all), repeated until a whole pass writes
// nothing (the last, empty pass is included: that is how a peer learns it is done).
// Bytes = everything on the server's sockets.
export async function S5({ docs, n, quick, payload }) {
  const out = [];
  const srv = await startServer();
  try {
    for (const peers of quick ? [3] : [3, 6]) {
      for (const kind of ['line', 'ring', 'star']) {
        const { edges, writer } = topology(kind, peers);
        const names = Array.from({ length: peers }, () => uniq(`mesh_${kind}${peers}`));
        const dbs = names.map((nm) => new MemPouch(nm));
        await insertAll(dbs[writer], docs);
        const c0 = srv.counters();
        const t0 = now();
        for (let pass = 1; ; pass++) {
          if (pass > 50) throw new Error(`${kind}${peers}: no convergence after 50 passes`);
          const res = await Promise.all(edges.map(([x, y]) => dbs[y].sync(new PouchDB(`${srv.base}/${names[x]}`))));
          const written = res.reduce((s, r) => s + r.push.docs_written + r.pull.docs_written, 0);
          if (written === 0) break;
        }
        const sec = secondsSince(t0);
        const c1 = srv.counters();
        for (let i = 0; i < peers; i++) {
          const info = await dbs[i].info();
          if (info.doc_count !== n) throw new Error(`${kind}${peers}: peer ${i} holds ${info.doc_count}`);
        }
        out.push([`converge_seconds_${kind}${peers}`, sec, 's'], [`total_bytes_${kind}${peers}`, (c1.aToB - c0.aToB) + (c1.bToA - c0.bToA), 'bytes'],
          [`ideal_bytes_${kind}${peers}`, (peers - 1) * payload, 'bytes']);
        for (const db of dbs) await db.destroy();
      }
    }
    return out;
  } finally { await srv.close(); }
}

// S6: insert N, update every doc 10 times (bulkDocs of 1,000), delete 90%; a fresh
// peer replicates over HTTP (deleted docs travel as tombstone revisions).
// encoded_bytes is not reported: the memory adapter has no on-disk form.
export async function S6({ docs, n }) {
  const srv = await startServer();
  try {
    const nameA = uniq('a');
    const a = new MemPouch(nameA);
    await insertAll(a, docs);
    const ids = docs.map((d) => d._id);
    for (let round = 1; round <= 10; round++) {
      for (const batch of batches(ids)) {
        const cur = await a.allDocs({ keys: batch, include_docs: true });
        await a.bulkDocs(cur.rows.map((r) => ({ ...r.doc, score: round })));
      }
    }
    for (const batch of batches(ids.filter((_, i) => i % 10 !== 0))) {
      const cur = await a.allDocs({ keys: batch });
      await a.bulkDocs(cur.rows.map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true })));
    }
    const fresh = new MemPouch(uniq('fresh'));
    const r = await replicateFrom(srv, nameA, fresh);
    const info = await fresh.info();
    if (info.doc_count !== Math.ceil(n / 10)) throw new Error(`fresh peer holds ${info.doc_count}`);
    return [['fresh_sync_bytes', r.aToB + r.bToA, 'bytes']];
  } finally { await srv.close(); }
}
