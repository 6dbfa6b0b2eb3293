// The dashboard at size: a peer with 100,000 documents in one collection and 20 peers in its presence graph (real
// `starling peer` processes: A, four direct neighbours, fifteen peers two hops away, each a small JVM). Every view
// the person uses must answer within a generous bound (5 s: not a benchmark, a catch for a page that reads a whole
// collection), the measured times are printed, and the page must never send a statement that reads the big
// collection without a LIMIT. Run by bin/dashboard-e2e after dashboard.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const moduleDir = resolve(here, '../../..');
const TOKEN = 'e2e-secret-token';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = resolve(process.env.SCREENSHOTS || join(moduleDir, 'target/dashboard-screenshots'));
const DOCS = 100_000;
const PEERS = 20;
const BOUND_MS = 5_000;

function jarPath() {
  if (process.env.STARLING_JAR) return process.env.STARLING_JAR;
  const dir = join(moduleDir, 'target');
  const jar = existsSync(dir) && readdirSync(dir).find(f => /^starling-cli-.*-all\.jar$/.test(f));
  if (!jar) throw new Error(`no fat jar in ${dir}: build it first (mvn -B -pl starling-cli -am package -DskipTests)`);
  return join(dir, jar);
}

const work = mkdtempSync(join(tmpdir(), 'starling-dashboard-size-'));
const peers = {};

/**
 * Starts `starling peer` once it printed its addresses: the quick JIT only (twenty JVMs share the machine, and the
 * optimising compiler's threads would compete with them), a small heap for every peer but A.
 */
function startPeer(name, extra, http) {
  const small = ['-Xmx96m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k'];
  const args = [...small.map(o => http && o.startsWith('-Xmx') ? '-Xmx1g' : o), '-jar', jarPath(), 'peer', '--db', join(work, name), '--listen', '127.0.0.1:0',
    ...(http ? ['--http', '127.0.0.1:0', '--http-token', TOKEN] : []), ...extra];
  const proc = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`peer ${name} did not start within 120 s:\n${log}`)), 120_000);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', d => {
      log += d;
      const web = /http listening on (http:\/\/\S+)/.exec(log);
      const sync = /sync listening on (\S+)/.exec(log);
      if ((web || !http) && sync && /ready/.test(log)) {
        clearTimeout(timer);
        ok(peers[name] = { proc, http: web && web[1], sync: sync[1], log: () => log });
      }
    });
    proc.on('exit', code => { clearTimeout(timer); fail(new Error(`peer ${name} exited with ${code}:\n${log}`)); });
  });
}

async function api(path, body) {
  const res = await fetch(peers.a.http + path, body === undefined
    ? { headers: { Authorization: 'Bearer ' + TOKEN } }
    : { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN }, body: JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

async function until(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try { if ((last = await check())) return last; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

const id = n => 'doc-' + String(n).padStart(6, '0');
let browser, page;
/** Every statement the page sent, from /execute bodies and /observe URLs. */
const statements = [];
const timings = [];

/** Runs `action` and waits for `done`; prints and returns the milliseconds, and fails beyond the bound. */
async function timed(what, action, done) {
  const t0 = performance.now();
  await action();
  await done();
  const ms = Math.round(performance.now() - t0);
  timings.push([what, ms]);
  console.log(`  ${what}: ${ms} ms`);
  assert.ok(ms < BOUND_MS, `${what} took ${ms} ms (bound ${BOUND_MS} ms: a whole-collection read?)`);
  return ms;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const t0 = performance.now();
  await startPeer('a', [], true);
  // one statement, one transaction: 100,000 documents as one array argument
  const docs = [];
  for (let n = 0; n < DOCS; n++) docs.push({ _id: id(n), n, bucket: n % 10, title: `document ${n}` });
  const loaded = performance.now();
  await api('/api/v1/execute', { statement: 'INSERT INTO big DOCUMENTS (:docs)', args: { docs } });
  console.log(`  loading ${DOCS} documents: ${Math.round(performance.now() - loaded)} ms`);
  // four direct neighbours of A, fifteen peers behind them (two hops from A): 20 peers in A's graph (they
  // subscribe to nothing: the documents stay on A)
  const direct = await Promise.all([1, 2, 3, 4].map(i => startPeer('b' + i, ['--connect', peers.a.sync], false)));
  const behind = [];
  for (let i = 0; i < PEERS - 1 - direct.length; i++) {
    behind.push(startPeer('c' + (i + 1), ['--connect', direct[i % direct.length].sync], false));
  }
  await Promise.all(behind);
  await until(`A to see ${PEERS - 1} remote peers`, async () => (await api('/api/v1/presence')).remotePeers.length === PEERS - 1, 120_000);
  console.log(`  setup (peers, documents, presence): ${Math.round(performance.now() - t0)} ms`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', e => console.error('page error:', e));
  page.on('request', r => {
    const url = new URL(r.url());
    if (url.pathname === '/api/v1/execute' && r.postData()) statements.push(JSON.parse(r.postData()).statement);
    if (url.pathname === '/api/v1/observe') statements.push(url.searchParams.get('statement'));
  });
  await page.goto(peers.a.http + '/');
  await page.fill('#login-token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#view-query .CodeMirror');
});

after(async () => {
  if (browser) await browser.close();
  for (const p of Object.values(peers)) p.proc.kill('SIGTERM');
  await Promise.all(Object.values(peers).map(p => p.proc.exitCode != null ? null : new Promise(r => p.proc.once('exit', r))));
  rmSync(work, { recursive: true, force: true });
  if (timings.length) console.log('  timings (ms): ' + timings.map(([w, ms]) => `${w} ${ms}`).join(' · '));
});

const firstId = () => page.$eval('#view-collections .docs tbody tr:first-child', tr => JSON.parse(tr.dataset.id));
const rowsShown = () => page.$$eval('#view-collections .docs tbody tr', t => t.length);

test('the Collections view pages through 100,000 documents by _id: first, deep, next, previous, last, filter', async () => {
  await timed('collections list with counts', () => page.goto(peers.a.http + '/#collections'),
    () => page.waitForSelector('#view-collections tr[data-collection="big"]'));
  assert.match(await page.textContent('#view-collections tr[data-collection="big"]'), /100,?000/);
  await timed('first page', () => page.click('#view-collections tr[data-collection="big"]'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(0)}"']`));
  assert.equal(await rowsShown(), 50);
  await timed('next page', () => page.click('#view-collections button:has-text("Next")'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(50)}"']`));
  // deep in the collection: a jump to an id near the end, then next and previous from there
  await timed('jump to an id near the end', async () => {
    await page.fill('#view-collections input[aria-label="go to _id"]', id(99_000));
    await page.press('#view-collections input[aria-label="go to _id"]', 'Enter');
  }, () => page.waitForSelector(`#view-collections tr[data-id='"${id(99_000)}"']`));
  await timed('next page deep in the collection', () => page.click('#view-collections button:has-text("Next")'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(99_050)}"']`));
  assert.equal(await firstId(), id(99_050));
  await timed('previous page deep in the collection', () => page.click('#view-collections button:has-text("Previous")'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(99_000)}"']`));
  assert.equal(await firstId(), id(99_000));
  assert.equal(await rowsShown(), 50);
  await timed('last page', () => page.click('#view-collections button:has-text("Last")'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(DOCS - 1)}"']`));
  assert.equal(await firstId(), id(DOCS - 50));
  await page.waitForSelector('#view-collections button:has-text("Next"):disabled');
  await page.screenshot({ path: join(SHOTS, 'collections-100k.png') });
  await timed('filter', async () => {
    await page.fill('#view-collections input[aria-label=filter]', 'bucket = 3');
    await page.click('#view-collections button:has-text("Apply")');
  }, () => page.waitForSelector(`#view-collections tr[data-id='"${id(3)}"']`));
  assert.equal(await rowsShown(), 50);
  await timed('next filtered page', () => page.click('#view-collections button:has-text("Next")'),
    () => page.waitForSelector(`#view-collections tr[data-id='"${id(503)}"']`));
});

test('the Query view answers a query on the big collection', async () => {
  await page.goto(peers.a.http + '/#query');
  await page.waitForSelector('#view-query .CodeMirror');
  await page.click('#view-query .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(`SELECT _id, title FROM big WHERE _id > '${id(95_000)}' ORDER BY _id LIMIT 20`);
  await page.keyboard.press('Escape');
  await timed('query view: a keyset page by statement', () => page.keyboard.press('Control+Enter'),
    () => page.waitForSelector(`#view-query .results td:has-text("${id(95_001)}")`));
  assert.match(await page.textContent('#view-query .status'), /20 rows/);
  await timed('query view: explain', () => page.click('#view-query button:has-text("Explain")'),
    () => page.waitForSelector('#view-query ul.plan'));
  const ops = await page.$$eval('#view-query .op b', bs => bs.map(b => b.textContent));
  assert.ok(ops.includes('IdRange'), ops.join(','));
});

test('the Presence graph shows the 20 peers, live', async () => {
  await timed('presence graph of 20 peers', () => page.goto(peers.a.http + '/#presence'),
    () => page.waitForFunction(n => {
      const g = document.querySelector('#presence-graph');
      return g && g.dataset.peers && g.dataset.peers.split(' ').length === n;
    }, PEERS));
  const hops = await page.$$eval('#presence-peers tbody tr', trs => trs.map(tr => tr.children[1].textContent));
  assert.deepEqual(hops.sort(), ['0', ...Array(4).fill('1'), ...Array(PEERS - 5).fill('2')]);
  assert.equal(await page.getAttribute('#view-presence p[data-mode]', 'data-mode'), 'live');
  await page.waitForTimeout(2000); // let the force layout settle for the picture (not a check)
  await page.screenshot({ path: join(SHOTS, 'presence-20.png') });
  // live: a peer that leaves is gone from the graph without a poll
  peers.c15.proc.kill('SIGTERM');
  await until('c15 to leave the graph', async () =>
    (await page.getAttribute('#presence-graph', 'data-peers')).split(' ').length === PEERS - 1, 60_000);
  assert.equal(await page.getAttribute('#view-presence p[data-mode]', 'data-mode'), 'live');
});

test('the page never read the big collection without a LIMIT', () => {
  const reads = statements.filter(s => /\bbig\b/.test(s));
  assert.ok(reads.length >= 8, 'the statements were recorded: ' + reads.length);
  const unbounded = reads.filter(s => !/\bLIMIT\s+\d+\s*$/i.test(s.trim()));
  assert.deepEqual(unbounded, [], 'statements reading the big collection without LIMIT');
  console.log(`  ${reads.length} statements on the big collection, all with LIMIT`);
});
