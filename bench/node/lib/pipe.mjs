// In-memory network for the in-process sync scenarios (yjs, automerge).
//
// A Link is a full-duplex pipe between two endpoints; it counts the bytes and
// messages sent each way. A Net delivers messages in "ticks": in one tick every
// message that is in flight on every link is delivered (in order per direction);
// whatever the handlers send in reply is delivered in the next tick. A tick is
// therefore one one-way network latency, and for two peers
//   round_trips = ceil(ticks / 2)
// i.e. the number of request/response latencies the exchange needs on a real link.
export class Link {
  constructor(name = '') {
    this.name = name;
    this.bytes = [0, 0]; // bytes sent by end 0 (→ end 1) and by end 1 (→ end 0)
    this.msgs = [0, 0];
    this.queues = [[], []];
    this.ends = [new End(this, 0), new End(this, 1)];
  }
  get totalBytes() { return this.bytes[0] + this.bytes[1]; }
  resetCounters() { this.bytes = [0, 0]; this.msgs = [0, 0]; }
}

class End {
  constructor(link, side) { this.link = link; this.side = side; this.onmessage = null; this.connected = true; }
  get peer() { return this.link.ends[1 - this.side]; }
  send(msg) {
    if (!this.connected) return;
    this.link.bytes[this.side] += msg.length;
    this.link.msgs[this.side] += 1;
    this.link.queues[this.side].push(msg);
  }
}

export class Net {
  constructor(links) { this.links = links; this.ticks = 0; }
  // pump(): called before the first tick and after every tick so that pull-style
  // protocols (automerge's generateSyncMessage) can emit messages. onTick(): hook
  // for sampling (e.g. receiver heap) after each tick.
  run({ pump = () => {}, onTick = () => {}, maxTicks = 1e6 } = {}) {
    pump();
    while (this.links.some((l) => l.queues[0].length || l.queues[1].length)) {
      if (++this.ticks > maxTicks) throw new Error(`no convergence after ${maxTicks} ticks`);
      const inflight = this.links.map((l) => [l.queues[0].splice(0), l.queues[1].splice(0)]);
      this.links.forEach((l, i) => {
        for (let side = 0; side < 2; side++) {
          const receiver = l.ends[1 - side];
          for (const msg of inflight[i][side]) receiver.onmessage(msg);
        }
      });
      onTick();
      pump();
    }
    return this.ticks;
  }
  get totalBytes() { return this.links.reduce((s, l) => s + l.totalBytes, 0); }
}

// Topologies for S5: edges between peer indices. The writer is peer 1 in the star
// (a leaf, the hub is peer 0) and peer 0 at the end of the line / on the ring.
export function topology(kind, peers) {
  const edges = [];
  if (kind === 'line' || kind === 'ring') {
    for (let i = 0; i + 1 < peers; i++) edges.push([i, i + 1]);
    if (kind === 'ring' && peers > 2) edges.push([peers - 1, 0]);
    return { edges, writer: 0 };
  }
  if (kind === 'star') {
    for (let i = 1; i < peers; i++) edges.push([0, i]);
    return { edges, writer: 1 };
  }
  throw new Error(`unknown topology ${kind}`);
}
