// yjs (+ y-protocols) scenarios.
//
// Model: ONE Y.Doc; the collection is the top-level Y.Map "docs" keyed by _id;
// each document is a nested Y.Map holding its fields (tags stays a plain JSON
// array value inside that map). Nested Y.Maps are the idiomatic choice when fields
// must merge independently (S4 different_fields), which is what Starling does.
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { body, batches, pick, pickDistinct } from './data.mjs';
import { timedOps, now, secondsSince, gc, heapMb, rssMb, HeapPeak, median } from './measure.mjs';
import { Link, Net, topology } from './pipe.mjs';

const MSG_SYNC = 0; // y-websocket's message type prefix for sync messages

const coll = (ydoc) => ydoc.getMap('docs');

function toYMap(doc) {
  return new Y.Map(Object.entries(body(doc)));
}

export function insertAll(ydoc, docs, batchSize = 1000) {
  const top = coll(ydoc);
  for (const batch of batches(docs, batchSize)) {
    ydoc.transact(() => { for (const d of batch) top.set(d._id, toYMap(d)); });
  }
}

function encodeUpdateMsg(update) {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, MSG_SYNC);
  syncProtocol.writeUpdate(enc, update);
  return encoding.toUint8Array(enc);
}

// Attaches a Y.Doc to one end of a Link, speaking the y-protocols sync protocol
// exactly as y-websocket does: on start both sides send syncStep1 (state vector),
// a syncStep1 is answered with syncStep2 (the missing update), and every local
// or received update is forwarded to all other attached links (gossip for the mesh).
export function attach(ydoc, end, onApplied = () => {}) {
  end.onmessage = (msg) => {
    const dec = decoding.createDecoder(msg);
    const enc = encoding.createEncoder();
    decoding.readVarUint(dec);
    encoding.writeVarUint(enc, MSG_SYNC);
    syncProtocol.readSyncMessage(dec, enc, ydoc, end);
    onApplied();
    if (encoding.length(enc) > 1) end.send(encoding.toUint8Array(enc));
  };
  const onUpdate = (update, origin) => { if (origin !== end) end.send(encodeUpdateMsg(update)); };
  ydoc.on('update', onUpdate);
  return {
    start() {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MSG_SYNC);
      syncProtocol.writeSyncStep1(enc, ydoc);
      end.send(encoding.toUint8Array(enc));
    },
    detach() { ydoc.off('update', onUpdate); end.onmessage = null; end.connected = false; },
  };
}

// Two peers sync over a fresh link until quiet; returns bytes each way, ticks, seconds.
function syncPair(a, b, hp) {
  const link = new Link();
  const ca = attach(a, link.ends[0], hp ? () => {} : undefined);
  const cb = attach(b, link.ends[1], hp ? () => hp.sample() : undefined);
  const t0 = now();
  ca.start(); cb.start();
  const ticks = new Net([link]).run();
  const seconds = secondsSince(t0);
  ca.detach(); cb.detach();
  return { seconds, aToB: link.bytes[0], bToA: link.bytes[1], ticks };
}

function build(docs) {
  const ydoc = new Y.Doc();
  insertAll(ydoc, docs);
  return ydoc;
}

export async function S1({ docs, n }) {
  const ydoc = new Y.Doc();
  const top = coll(ydoc);
  const t0 = now();
  insertAll(ydoc, docs);
  const insertSec = secondsSince(t0);
  gc();
  const out = [['inserts_per_s', n / insertSec, 'ops/s'], ['heap_mb', heapMb(), 'MB'], ['rss_mb', rssMb(), 'MB']];

  const ids = (idx) => idx.map((i) => docs[i]._id);
  // update: one field (score) of 1,000 random docs, one implicit transaction each
  const upd = await timedOps(ids(pick(n, 1000, 1)), (id, i) => { top.get(id).set('score', 100000 + i); });
  out.push(['update_ops_per_s', upd.ops_per_s, 'ops/s'], ['update_p50_us', upd.p50_us, 'us'], ['update_p99_us', upd.p99_us, 'us']);
  // lookup: materialise the document as JSON (what a caller of Starling's get gets)
  const look = await timedOps(ids(pick(n, 1000, 2)), (id) => top.get(id).toJSON());
  out.push(['lookup_ops_per_s', look.ops_per_s, 'ops/s'], ['lookup_p50_us', look.p50_us, 'us'], ['lookup_p99_us', look.p99_us, 'us']);
  // query: full scan (yjs has no index), read the two fields, materialise the hits
  const q = await timedOps(new Array(20).fill(0), () => {
    const hits = [];
    for (const [id, m] of top) if (m.get('category') === 'c3' && m.get('score') > 50000) hits.push({ _id: id, ...m.toJSON() });
    return hits;
  });
  out.push(['query_ops_per_s', q.ops_per_s, 'ops/s'], ['query_p50_ms', q.p50_us / 1000, 'ms']);
  // delete 1,000 distinct docs one by one
  const del = await timedOps(ids(pickDistinct(n, 1000, 3)), (id) => { top.delete(id); });
  out.push(['delete_ops_per_s', del.ops_per_s, 'ops/s']);
  return out;
}

export async function S2({ docs, n, payload }) {
  const a = build(docs);
  const hp = new HeapPeak(); // baseline after A is built; B is created inside the window
  const b = new Y.Doc();
  const r = syncPair(a, b, hp);
  if (coll(b).size !== n) throw new Error(`B holds ${coll(b).size} docs, expected ${n}`);
  return [
    ['sync_seconds', r.seconds, 's'],
    ['wire_bytes_a_to_b', r.aToB, 'bytes'],
    ['wire_bytes_b_to_a', r.bToA, 'bytes'],
    ['payload_bytes', payload, 'bytes'],
    ['round_trips', Math.ceil(r.ticks / 2), 'count'],
    ['receiver_peak_heap_mb', hp.peakDeltaMb(), 'MB'],
  ];
}

// S3: warm = B met A before and reconnects (yjs keeps no per-peer sync state: the
// protocol re-derives everything from the two state vectors); cold = B2 was built
// by loading A's saved state (Y.encodeStateAsUpdate) and never talked to A.
export async function S3({ docs, n, quick }) {
  const ks = quick ? [10] : [1, 10, 100];
  const a = build(docs);
  const b = new Y.Doc();
  syncPair(a, b);
  const out = [];
  for (const k of ks) {
    const b2 = new Y.Doc();
    Y.applyUpdate(b2, Y.encodeStateAsUpdate(a));
    const top = coll(a);
    for (const i of pickDistinct(n, k, 100 + k)) top.get(docs[i]._id).set('score', 200000 + k);
    const warm = syncPair(a, b);
    const cold = syncPair(a, b2);
    if (JSON.stringify(coll(b2).toJSON()) !== JSON.stringify(coll(b).toJSON())) throw new Error('S3 peers diverged');
    out.push([`reconnect_bytes_k${k}_warm`, warm.aToB + warm.bToA, 'bytes'], [`reconnect_seconds_k${k}_warm`, warm.seconds, 's']);
    out.push([`reconnect_bytes_k${k}_cold`, cold.aToB + cold.bToA, 'bytes'], [`reconnect_seconds_k${k}_cold`, cold.seconds, 's']);
  }
  return out;
}

// S4: two replicas from a common state edit offline, then sync both ways.
export async function S4() {
  const out = [];
  const cases = {
    same_field: (A, B) => { A.set('score', 100); B.set('score', 200); },
    different_fields: (A, B) => { A.set('score', 100); B.set('name', 'bee'); },
    delete_vs_update: (A, B, topA) => { topA.delete('d1'); B.set('score', 200); },
    counter: (A, B) => { A.set('counter', A.get('counter') + 1); B.set('counter', B.get('counter') + 2); }, // read-modify-write
  };
  for (const [name, edit] of Object.entries(cases)) {
    const base = new Y.Doc();
    coll(base).set('d1', new Y.Map(Object.entries({ score: 1, name: 'x', counter: 0 })));
    const a = new Y.Doc(); a.clientID = 1; Y.applyUpdate(a, Y.encodeStateAsUpdate(base));
    const b = new Y.Doc(); b.clientID = 2; Y.applyUpdate(b, Y.encodeStateAsUpdate(base));
    edit(coll(a).get('d1'), coll(b).get('d1'), coll(a));
    syncPair(a, b);
    const ja = JSON.stringify(coll(a).toJSON()), jb = JSON.stringify(coll(b).toJSON());
    const d = coll(a).toJSON().d1;
    let rule;
    if (name === 'same_field') rule = d.score === 200 ? 'LWW by clientID (higher wins)' : 'LWW by clientID (lower wins)';
    else if (name === 'different_fields') rule = d && d.score === 100 && d.name === 'bee' ? 'both kept (field-level merge)' : 'one field lost';
    else if (name === 'delete_vs_update') rule = d ? `update wins (${JSON.stringify(d)})` : 'delete wins';
    else rule = d.counter === 3 ? 'counter 3' : `lost update: ${d.counter} (no counter type; read-modify-write)`;
    out.push([`converged_${name}`, ja === jb ? 1 : 0, 'bool'], [`rule_${name}`, rule, 'text']);
  }
  return out;
}

// S5: one peer (the writer) holds N docs; every edge runs the sync protocol and
// peers forward updates to their other neighbours (y-websocket-style gossip).
export async function S5({ docs, n, quick, payload }) {
  const out = [];
  for (const peers of quick ? [3] : [3, 6]) {
    for (const kind of ['line', 'ring', 'star']) {
      const { edges, writer } = topology(kind, peers);
      const ydocs = Array.from({ length: peers }, () => new Y.Doc());
      insertAll(ydocs[writer], docs);
      const links = edges.map(() => new Link());
      const conns = [];
      edges.forEach(([x, y], i) => { conns.push(attach(ydocs[x], links[i].ends[0]), attach(ydocs[y], links[i].ends[1])); });
      const t0 = now();
      conns.forEach((c) => c.start());
      const net = new Net(links);
      net.run();
      const sec = secondsSince(t0);
      conns.forEach((c) => c.detach());
      ydocs.forEach((d, i) => { if (coll(d).size !== n) throw new Error(`${kind}${peers}: peer ${i} holds ${coll(d).size}`); });
      out.push([`converge_seconds_${kind}${peers}`, sec, 's'], [`total_bytes_${kind}${peers}`, net.totalBytes, 'bytes'],
        [`ideal_bytes_${kind}${peers}`, (peers - 1) * payload, 'bytes']);
    }
  }
  return out;
}

// S6: insert N, update every doc 10 times (transactions of 1,000 updates), delete
// 90% (every doc whose index is not a multiple of 10); then a fresh peer syncs.
export async function S6({ docs, n }) {
  const a = build(docs);
  const top = coll(a);
  for (let round = 1; round <= 10; round++) {
    for (const batch of batches(docs)) a.transact(() => { for (const d of batch) top.get(d._id).set('score', round); });
  }
  for (const batch of batches(docs.filter((_, i) => i % 10 !== 0))) a.transact(() => { for (const d of batch) top.delete(d._id); });
  const fresh = new Y.Doc();
  const r = syncPair(a, fresh);
  if (coll(fresh).size !== Math.ceil(n / 10)) throw new Error(`fresh peer holds ${coll(fresh).size}`);
  return [['fresh_sync_bytes', r.aToB + r.bToA, 'bytes'], ['encoded_bytes', Y.encodeStateAsUpdate(a).length, 'bytes']];
}
