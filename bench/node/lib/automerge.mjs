// @automerge/automerge (JS/wasm, 3.x) scenarios.
//
// Model: ONE Automerge document whose root is { docs: { [_id]: body } }: a map of
// documents keyed by _id, each a nested map of fields. Fields are written with
// plain JS values, i.e. Automerge's defaults: strings become collaborative text
// objects (Automerge 3 default), numbers/booleans are LWW registers, tags a list.
import * as A from '@automerge/automerge';
import { body, batches, pick, pickDistinct } from './data.mjs';
import { timedOps, now, secondsSince, gc, heapMb, rssMb, HeapPeak } from './measure.mjs';
import { Link, Net, topology } from './pipe.mjs';

export function build(docs, batchSize = 1000) {
  let doc = A.from({ docs: {} });
  for (const batch of batches(docs, batchSize)) {
    doc = A.change(doc, (d) => { for (const x of batch) d.docs[x._id] = body(x); });
  }
  return doc;
}

// A peer: a document plus one SyncState per link end. Messages are generated
// reactively, the canonical request/response use of the protocol: the connecting
// side initiates on its new link, and a peer that received anything in a tick then
// generates a message on each of its links (null = nothing to say).
// Caveat found while building this: if BOTH sides generate on connect and keep
// answering every tick, Automerge 3 sends the whole document twice in the initial
// sync (the second message from the empty side still says "I have nothing"), so
// we let only the connecting side open the conversation.
class Peer {
  constructor(doc) { this.doc = doc; this.ends = []; }
  connect(end, syncState = A.initSyncState(), onApplied = () => {}) {
    const conn = { end, state: syncState };
    end.onmessage = (msg) => {
      [this.doc, conn.state] = A.receiveSyncMessage(this.doc, conn.state, msg);
      this.received = true;
      onApplied();
    };
    this.ends.push(conn);
    return conn;
  }
  // initiate on one link (the connecting side's opening message)
  open(conn) {
    const [state, msg] = A.generateSyncMessage(this.doc, conn.state);
    conn.state = state;
    if (msg) conn.end.send(msg);
  }
  pump() {
    if (!this.received) return;
    this.received = false;
    for (const c of this.ends) {
      const [state, msg] = A.generateSyncMessage(this.doc, c.state);
      c.state = state;
      if (msg) c.end.send(msg);
    }
  }
  disconnect() { for (const c of this.ends) { c.end.onmessage = null; c.end.connected = false; } this.ends = []; }
}

// Syncs two peers over a fresh link until neither has anything to send.
function syncPair(pa, pb, { stateA, stateB, hp } = {}) {
  const link = new Link();
  const ca = pa.connect(link.ends[0], stateA);
  const cb = pb.connect(link.ends[1], stateB, hp ? () => hp.sample() : undefined);
  const t0 = now();
  pb.open(cb); // B (the receiver / reconnecting side) opens the conversation
  const ticks = new Net([link]).run({ pump: () => { pa.pump(); pb.pump(); } });
  const seconds = secondsSince(t0);
  pa.disconnect(); pb.disconnect();
  return { seconds, aToB: link.bytes[0], bToA: link.bytes[1], ticks, stateA: ca.state, stateB: cb.state };
}

const count = (doc) => Object.keys(doc.docs || {}).length;

export async function S1({ docs, n }) {
  const t0 = now();
  let doc = build(docs);
  const insertSec = secondsSince(t0);
  gc();
  const out = [['inserts_per_s', n / insertSec, 'ops/s'], ['heap_mb', heapMb(), 'MB'], ['rss_mb', rssMb(), 'MB']];
  const ids = (idx) => idx.map((i) => docs[i]._id);
  // update: one Automerge.change per op
  const upd = await timedOps(ids(pick(n, 1000, 1)), (id, i) => { doc = A.change(doc, (d) => { d.docs[id].score = 100000 + i; }); });
  out.push(['update_ops_per_s', upd.ops_per_s, 'ops/s'], ['update_p50_us', upd.p50_us, 'us'], ['update_p99_us', upd.p99_us, 'us']);
  // lookup: Automerge keeps the document materialised as an immutable JS object
  // tree, so a lookup is a property access that returns that (frozen) object.
  const look = await timedOps(ids(pick(n, 1000, 2)), (id) => doc.docs[id]);
  out.push(['lookup_ops_per_s', look.ops_per_s, 'ops/s'], ['lookup_p50_us', look.p50_us, 'us'], ['lookup_p99_us', look.p99_us, 'us']);
  // query: full scan over the materialised tree (no indexes in Automerge)
  const q = await timedOps(new Array(20).fill(0), () => {
    const hits = [];
    for (const [id, x] of Object.entries(doc.docs)) if (String(x.category) === 'c3' && x.score > 50000) hits.push({ _id: id, ...x });
    return hits;
  });
  out.push(['query_ops_per_s', q.ops_per_s, 'ops/s'], ['query_p50_ms', q.p50_us / 1000, 'ms']);
  const del = await timedOps(ids(pickDistinct(n, 1000, 3)), (id) => { doc = A.change(doc, (d) => { delete d.docs[id]; }); });
  out.push(['delete_ops_per_s', del.ops_per_s, 'ops/s']);
  return out;
}

export async function S2({ docs, n, payload }) {
  const pa = new Peer(build(docs));
  const hp = new HeapPeak();
  const pb = new Peer(A.init());
  const r = syncPair(pa, pb, { hp });
  if (count(pb.doc) !== n) throw new Error(`B holds ${count(pb.doc)} docs, expected ${n}`);
  return [
    ['sync_seconds', r.seconds, 's'],
    ['wire_bytes_a_to_b', r.aToB, 'bytes'],
    ['wire_bytes_b_to_a', r.bToA, 'bytes'],
    ['payload_bytes', payload, 'bytes'],
    ['round_trips', Math.ceil(r.ticks / 2), 'count'],
    ['receiver_peak_heap_mb', hp.peakDeltaMb(), 'MB'],
  ];
}

// S3: warm = both peers persisted their SyncState after the initial sync
// (encodeSyncState/decodeSyncState, as an app would store it) and reconnect with
// it; cold = B2 = Automerge.load(save(A)) taken before the k changes, and both
// sides start from a fresh initSyncState().
export async function S3({ docs, n, quick }) {
  const ks = quick ? [10] : [1, 10, 100];
  const pa = new Peer(build(docs));
  const pb = new Peer(A.init());
  let r = syncPair(pa, pb);
  let savedA = A.encodeSyncState(r.stateA), savedB = A.encodeSyncState(r.stateB);
  const out = [];
  for (const k of ks) {
    const pb2 = new Peer(A.load(A.save(pa.doc)));
    const targets = pickDistinct(n, k, 100 + k).map((i) => docs[i]._id);
    pa.doc = A.change(pa.doc, (d) => { for (const id of targets) d.docs[id].score = 200000 + k; });
    const warm = syncPair(pa, pb, { stateA: A.decodeSyncState(savedA), stateB: A.decodeSyncState(savedB) });
    savedA = A.encodeSyncState(warm.stateA); savedB = A.encodeSyncState(warm.stateB);
    const cold = syncPair(pa, pb2);
    if (!A.equals(pb.doc, pa.doc) || !A.equals(pb2.doc, pa.doc)) throw new Error('S3 peers diverged');
    out.push([`reconnect_bytes_k${k}_warm`, warm.aToB + warm.bToA, 'bytes'], [`reconnect_seconds_k${k}_warm`, warm.seconds, 's']);
    out.push([`reconnect_bytes_k${k}_cold`, cold.aToB + cold.bToA, 'bytes'], [`reconnect_seconds_k${k}_cold`, cold.seconds, 's']);
  }
  return out;
}

export async function S4() {
  const out = [];
  const cases = {
    same_field: [(d) => { d.score = 100; }, (d) => { d.score = 200; }],
    different_fields: [(d) => { d.score = 100; }, (d) => { d.name = 'bee'; }],
    delete_vs_update: [null, (d) => { d.score = 200; }],
    counter: [(d) => { d.counter.increment(1); }, (d) => { d.counter.increment(2); }],
  };
  for (const [name, [editA, editB]] of Object.entries(cases)) {
    const base = A.from({ docs: { d1: { score: 1, name: 'x', counter: new A.Counter(0) } } }, { actor: '0a' });
    const pa = new Peer(A.clone(base, { actor: 'aa' }));
    const pb = new Peer(A.clone(base, { actor: 'bb' }));
    pa.doc = A.change(pa.doc, (d) => { if (editA) editA(d.docs.d1); else delete d.docs.d1; });
    pb.doc = A.change(pb.doc, (d) => editB(d.docs.d1));
    syncPair(pa, pb);
    const converged = A.equals(pa.doc, pb.doc) && JSON.stringify(pa.doc) === JSON.stringify(pb.doc) ? 1 : 0;
    const d = pa.doc.docs.d1;
    let rule;
    if (name === 'same_field') {
      const conflicts = Object.keys(A.getConflicts(d, 'score') || {}).length;
      rule = `LWW by actorId (${d.score === 200 ? 'higher' : 'lower'} wins); ${conflicts} values in getConflicts`;
    } else if (name === 'different_fields') rule = d && d.score === 100 && String(d.name) === 'bee' ? 'both kept (field-level merge)' : 'one field lost';
    else if (name === 'delete_vs_update') rule = d ? `update wins (${JSON.stringify(d)})` : 'delete wins';
    else rule = `counter ${Number(d.counter.value ?? d.counter)} (Automerge.Counter)`;
    out.push([`converged_${name}`, converged, 'bool'], [`rule_${name}`, rule, 'text']);
  }
  return out;
}

// S5: the writer holds N docs; one sync session (pair of SyncStates) per edge;
// every peer pumps every edge after each tick until nobody has anything to send.
export async function S5({ docs, n, quick, payload }) {
  const out = [];
  const full = build(docs);
  const saved = A.save(full);
  for (const peers of quick ? [3] : [3, 6]) {
    for (const kind of ['line', 'ring', 'star']) {
      const { edges, writer } = topology(kind, peers);
      const ps = Array.from({ length: peers }, (_, i) => new Peer(i === writer ? A.load(saved) : A.init()));
      const t0 = now();
      // on each edge [x, y], y connects to x and opens the conversation
      const links = edges.map(([x, y]) => { const l = new Link(); ps[x].connect(l.ends[0]); ps[y].open(ps[y].connect(l.ends[1])); return l; });
      const net = new Net(links);
      net.run({ pump: () => ps.forEach((p) => p.pump()) });
      const sec = secondsSince(t0);
      ps.forEach((p, i) => { if (count(p.doc) !== n) throw new Error(`${kind}${peers}: peer ${i} holds ${count(p.doc)}`); p.disconnect(); });
      out.push([`converge_seconds_${kind}${peers}`, sec, 's'], [`total_bytes_${kind}${peers}`, net.totalBytes, 'bytes'],
        [`ideal_bytes_${kind}${peers}`, (peers - 1) * payload, 'bytes']);
    }
  }
  return out;
}

// S6: insert N, update every doc 10 times (one change per 1,000 updates), delete
// 90% (one change per 1,000 deletes); a fresh peer syncs; encoded_bytes = save().
export async function S6({ docs, n }) {
  let doc = build(docs);
  for (let round = 1; round <= 10; round++) {
    for (const batch of batches(docs)) doc = A.change(doc, (d) => { for (const x of batch) d.docs[x._id].score = round; });
  }
  for (const batch of batches(docs.filter((_, i) => i % 10 !== 0))) doc = A.change(doc, (d) => { for (const x of batch) delete d.docs[x._id]; });
  const pa = new Peer(doc), pb = new Peer(A.init());
  const r = syncPair(pa, pb);
  if (count(pb.doc) !== Math.ceil(n / 10)) throw new Error(`fresh peer holds ${count(pb.doc)}`);
  return [['fresh_sync_bytes', r.aToB + r.bToA, 'bytes'], ['encoded_bytes', A.save(pa.doc).length, 'bytes']];
}
