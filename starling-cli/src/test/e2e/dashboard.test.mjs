// End-to-end tests of the web dashboard: three real peer processes in a line (A - B - C), headless Chromium
// (Debian's chromium package) driven by playwright-core, the dashboard of peer A. Run by bin/dashboard-e2e (and so
// by .ci/run); needs the fat jar (mvn package) and chromium. Screenshots of every view, at a normal and a narrow
// window, go to $SCREENSHOTS (default: target/dashboard-screenshots).
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

function jarPath() {
  if (process.env.STARLING_JAR) return process.env.STARLING_JAR;
  const dir = join(moduleDir, 'target');
  const jar = existsSync(dir) && readdirSync(dir).find(f => /^starling-cli-.*-all\.jar$/.test(f));
  if (!jar) throw new Error(`no fat jar in ${dir}: build it first (mvn -B -pl starling-cli -am package -DskipTests)`);
  return join(dir, jar);
}

const work = mkdtempSync(join(tmpdir(), 'starling-dashboard-e2e-'));
const peers = {};

/** Starts `starling peer` and resolves once it printed its HTTP and sync addresses. */
function startPeer(name, extra) {
  const args = ['-jar', jarPath(), 'peer', '--db', join(work, name), '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--http-token', TOKEN, '--subscribe', 'SELECT * FROM tasks', ...extra];
  const proc = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`peer ${name} did not start within 60 s:\n${log}`)), 60_000);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', d => {
      log += d;
      const http = /http listening on (http:\/\/\S+)/.exec(log);
      const sync = /sync listening on (\S+)/.exec(log);
      if (http && sync && /ready/.test(log)) {
        clearTimeout(timer);
        ok(peers[name] = { proc, http: http[1], sync: sync[1], log: () => log });
      }
    });
    proc.on('exit', code => { clearTimeout(timer); fail(new Error(`peer ${name} exited with ${code}:\n${log}`)); });
  });
}

async function exec(peer, statement, args) {
  const res = await fetch(peer.http + '/api/v1/execute', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN },
    body: JSON.stringify({ statement, args: args || {} })
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** POST /api/v1/execute with the body as raw JSON text; resolves to the answer's raw text (no number rounded). */
async function execRaw(peer, body) {
  const res = await fetch(peer.http + '/api/v1/execute', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN }, body
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return text;
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

let browser, page;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const a = await startPeer('a', []);
  const b = await startPeer('b', ['--connect', a.sync]);
  await startPeer('c', ['--connect', b.sync]);
  const tasks = [];
  for (let n = 0; n < 120; n++) {
    tasks.push({ _id: 't' + String(n).padStart(3, '0'), title: `task ${n}`, n, done: n % 3 === 0,
      owner: { name: ['ann', 'bob', 'cy'][n % 3], team: n % 2 ? 'north' : 'south' }, tags: n % 4 ? ['x'] : ['x', 'y'] });
  }
  await exec(a, 'INSERT INTO tasks DOCUMENTS (:docs)', { docs: tasks });
  await exec(a, 'INSERT INTO cars DOCUMENTS (:docs)', { docs: [{ _id: 'c1', make: 'Ford', year: 1999 }, { _id: 'c2', make: 'Saab', year: 2004 }] });
  await exec(a, 'CREATE INDEX by_owner ON tasks (owner.name, n DESC)');
  // the three peers see each other (C two hops away from A) before the browser opens
  await until('A to see B and C', async () => {
    const res = await fetch(a.http + '/api/v1/presence', { headers: { Authorization: 'Bearer ' + TOKEN } });
    return (await res.json()).remotePeers.length === 2;
  }, 60_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', e => console.error('page error:', e));
});

after(async () => {
  if (browser) await browser.close();
  for (const p of Object.values(peers)) p.proc.kill('SIGTERM');
  await Promise.all(Object.values(peers).map(p => p.proc.exitCode != null ? null : new Promise(r => p.proc.once('exit', r))));
  rmSync(work, { recursive: true, force: true });
});

async function shoot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 420, height: 860 });
  await page.waitForTimeout(400); // charts resize on the window's resize event: let them draw (a picture, not a check)
  await page.screenshot({ path: join(SHOTS, `${name}-narrow.png`) });
  await page.setViewportSize(size);
}

async function typeInEditor(selector, text) {
  await page.click(`${selector} .CodeMirror`);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
  await page.keyboard.press('Escape'); // close the completion list
}

test('a wrong token gets the login form and no data', async () => {
  const a = peers.a;
  const seen = [];
  page.on('response', r => { if (r.url().includes('/api/')) seen.push(r.status()); });
  await page.goto(a.http + '/');
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#login-token', 'not-the-token');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-error', { state: 'visible' });
  assert.match(await page.textContent('#login-error'), /refused/);
  assert.equal(await page.isVisible('#app'), false);
  assert.equal(await page.$eval('#main', m => m.children.length), 0);
  assert.doesNotMatch(await page.content(), /task 1|Ford/);
  assert.ok(seen.length > 0 && seen.every(s => s === 401), 'every API call was refused: ' + seen);
  await page.screenshot({ path: join(SHOTS, 'login.png') });
  page.removeAllListeners('response');
});

test('a query run from the editor shows the right rows, columns in projection order', async () => {
  await page.fill('#login-token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#view-query .CodeMirror');
  await typeInEditor('#view-query', 'SELECT title, n, owner FROM tasks WHERE n < :max ORDER BY n DESC');
  await page.fill('#view-query textarea.args', '{"max": 3}');
  await page.click('#view-query .CodeMirror');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('#view-query .results table');
  const head = await page.$$eval('#view-query .results th', ths => ths.map(t => t.textContent));
  assert.deepEqual(head, ['title', 'n', 'owner']);
  const cells = await page.$$eval('#view-query .results tbody tr', trs => trs.map(tr => [...tr.children].slice(0, 2).map(td => td.textContent)));
  assert.deepEqual(cells, [['task 2', '2'], ['task 1', '1'], ['task 0', '0']]);
  assert.match(await page.textContent('#view-query .status'), /3 rows/);
  // a nested value opens in place
  await page.click('#view-query .results tbody tr:first-child details summary');
  assert.match(await page.textContent('#view-query .results tbody tr:first-child details pre'), /"team": "south"/);
  await shoot('query');
  // EXPLAIN is drawn as a tree
  await page.click('#view-query button:has-text("Explain")');
  await page.waitForSelector('#view-query ul.plan');
  const ops = await page.$$eval('#view-query .op b', bs => bs.map(b => b.textContent));
  assert.ok(ops.includes('IndexScan') || ops.includes('FullScan'), ops.join(','));
  assert.equal(ops[0], 'Sort');
  await shoot('explain');
});

test('a syntax error is marked in the editor at its line and column', async () => {
  await typeInEditor('#view-query', 'SELECT *\nFORM tasks');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('#view-query .dql-error-mark');
  const status = await page.textContent('#view-query .status');
  assert.match(status, /query\/syntax-error: line 2, column 1/);
  assert.equal(await page.textContent('#view-query .dql-error-mark'), 'FORM');
  await page.waitForSelector('#view-query .dql-error-line');
  await shoot('query-error');
});

test('completion offers keywords and collection names', async () => {
  await typeInEditor('#view-query', 'SELECT * FROM ca');
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('.CodeMirror-hints');
  const hints = await page.$$eval('.CodeMirror-hint', li => li.map(l => l.textContent));
  assert.ok(hints.includes('cars'), hints.join(','));
  await page.keyboard.press('Escape');
  await typeInEditor('#view-query', 'SELECT * FROM cars WHE');
  await page.keyboard.press('Control+Space');
  await page.waitForSelector('.CodeMirror-hints');
  const keywords = await page.$$eval('.CodeMirror-hint', li => li.map(l => l.textContent.toUpperCase()));
  assert.ok(keywords.includes('WHERE'), keywords.join(','));
  await page.keyboard.press('Escape');
});

test('a document written on another peer appears in the Live view without a reload', async () => {
  await page.goto(peers.a.http + '/#live');
  await page.waitForSelector('#view-live .CodeMirror');
  await typeInEditor('#view-live', 'SELECT _id, title, n FROM tasks WHERE n >= 1000 OR _id = \'t005\'');
  await page.click('#watch');
  await page.waitForSelector('#view-live tbody tr[data-key=\'"t005"\']');
  await exec(peers.c, 'INSERT INTO tasks DOCUMENTS (:d)', { d: { _id: 'from-c', title: 'written on C', n: 1000 } });
  const row = await page.waitForSelector('#view-live tbody tr[data-key=\'"from-c"\']', { timeout: 30_000 });
  assert.equal(await row.getAttribute('class'), 'added');
  assert.match(await row.textContent(), /written on C/);
  await exec(peers.b, 'UPDATE tasks SET title = \'changed on B\' WHERE _id = \'t005\'');
  await page.waitForSelector('#view-live tbody tr[data-key=\'"t005"\'] td.changed', { timeout: 30_000 });
  assert.match(await page.textContent('#view-live tbody tr[data-key=\'"t005"\']'), /changed on B/);
  await shoot('live');
  // a row that leaves stays a moment where it was, struck through, then goes
  await exec(peers.b, 'DELETE FROM tasks WHERE _id = \'from-c\'');
  await page.waitForSelector('#view-live tbody tr.removed[data-key=\'"from-c"\']', { timeout: 30_000 });
  await page.waitForSelector('#view-live tbody tr[data-key=\'"from-c"\']', { state: 'detached', timeout: 30_000 });
  await page.click('#view-live button:has-text("Stop")');
});

test('the Collections view shows counts and a document written on another peer without a reload', async () => {
  await page.goto(peers.a.http + '/#collections');
  await page.waitForSelector('#view-collections tr[data-collection="tasks"]');
  assert.match(await page.textContent('#view-collections tr[data-collection="cars"]'), /2/);
  await page.click('#view-collections tr[data-collection="tasks"]');
  await page.waitForSelector('#view-collections tr[data-id=\'"t000"\']');
  assert.equal(await page.$$eval('#view-collections .docs tbody tr', t => t.length), 50);
  await page.click('#view-collections button:has-text("Next")');
  await page.waitForSelector('#view-collections tr[data-id=\'"t050"\']');
  await page.click('#view-collections button:has-text("Previous")');
  await page.waitForSelector('#view-collections tr[data-id=\'"t000"\']');
  await exec(peers.b, 'INSERT INTO tasks DOCUMENTS (:d)', { d: { _id: 'a-from-b', title: 'written on B', n: 2000 } });
  await page.waitForSelector('#view-collections .docs tr[data-id=\'"a-from-b"\']', { timeout: 30_000 });
  await until('the count to include it', async () => /121/.test(await page.textContent('#view-collections tr[data-collection="tasks"]')));
  // filter, open, edit, delete with confirmation
  await page.fill('#view-collections input[aria-label=filter]', 'n = 7');
  await page.click('#view-collections button:has-text("Apply")');
  await until('the filter', async () => (await page.$$('#view-collections .docs tbody tr')).length === 1);
  await page.click('#view-collections tr[data-id=\'"t007"\']');
  const doc = JSON.parse(await page.inputValue('#view-collections textarea[aria-label="document JSON"]'));
  doc.title = 'edited in the dashboard';
  delete doc.tags;
  await page.fill('#view-collections textarea[aria-label="document JSON"]', JSON.stringify(doc, null, 2));
  await page.click('#view-collections button:has-text("Save")');
  await page.waitForSelector('#view-collections .doc-editor .status:has-text("Saved")');
  const stored = (await exec(peers.a, 'SELECT * FROM tasks WHERE _id = \'t007\'')).items[0];
  assert.equal(stored.title, 'edited in the dashboard');
  assert.equal(stored.tags, undefined);
  await shoot('collections');
  page.once('dialog', d => d.accept());
  await page.click('#view-collections button:has-text("Delete")');
  await until('the delete', async () => (await exec(peers.a, 'SELECT * FROM tasks WHERE _id = \'t007\'')).items.length === 0);
});

// Integers beyond 2^53 (what JSON.parse rounds) and floats with a whole value, as the API writes them. Two ids one
// apart, so that a rounded id names the other document.
const TWO_53 = '9007199254740992', BIG_ID = '9007199254740993';
const bigDoc = () => execRaw(peers.a, `{"statement": "SELECT * FROM big WHERE _id = ${BIG_ID}"}`);
const otherDoc = () => execRaw(peers.a, `{"statement": "SELECT * FROM big WHERE _id = ${TWO_53}"}`);

test('integers beyond 2^53 stay exact in the Collections, Query and Live views and through the editor', async () => {
  await execRaw(peers.a, `{"statement": "INSERT INTO big DOCUMENTS (:docs)", "args": {"docs": [
    {"_id": ${TWO_53}, "title": "two to the 53", "n": 1},
    {"_id": ${BIG_ID}, "title": "x", "n": 9007199254740993, "max": 9223372036854775807, "m": -9007199254740993, "f": 1.0, "w": 2.0E20,
     "g": 1e300, "h": 0.5, "nested": {"list": [9007199254740995, 2]}}]}}`);
  const before = await bigDoc(), other = await otherDoc();
  assert.match(before, /"n":9007199254740993,/);
  assert.match(before, /"f":1\.0,/);
  await page.goto(peers.a.http + '/#collections');
  await page.click('#view-collections tr[data-collection="big"]');
  // two rows, each under its own exact _id, values as stored
  await page.waitForSelector(`#view-collections .docs tr[data-id="${BIG_ID}"]`);
  const ids = await page.$$eval('#view-collections .docs tbody tr', trs => trs.map(tr => tr.dataset.id));
  assert.deepEqual(ids, [TWO_53, BIG_ID]);
  const shown = await page.$eval('#view-collections .docs table', t => {
    const head = [...t.querySelectorAll('th')].map(th => th.textContent);
    return [...t.querySelectorAll('tbody tr')].map(tr => Object.fromEntries([...tr.children].map((td, i) => [head[i], td.textContent])));
  });
  const { nested, ...flat } = shown[1];
  assert.deepEqual(flat, { _id: BIG_ID, title: 'x', n: BIG_ID, max: '9223372036854775807', m: '-9007199254740993', f: '1.0', w: '2.0E20', g: '1e+300', h: '0.5' });
  assert.match(nested, /9007199254740995/);
  assert.match(await page.textContent('#page-position'), new RegExp(`${TWO_53} – ${BIG_ID}`));
  // the editor shows the exact text; changing only the title leaves every other field exactly as it was
  await page.click(`#view-collections tr[data-id="${BIG_ID}"]`);
  const editor = '#view-collections textarea[aria-label="document JSON"]';
  const text = await page.inputValue(editor);
  for (const v of [`"_id": ${BIG_ID}`, `"n": ${BIG_ID}`, '"max": 9223372036854775807', '"m": -9007199254740993', '"f": 1.0', '"w": 2.0E20', '9007199254740995']) {
    assert.ok(text.includes(v), `${v} in ${text}`);
  }
  assert.match(await page.textContent('#view-collections .doc-title'), new RegExp(BIG_ID));
  assert.ok(text.includes('"title": "x"'), text);
  await page.fill(editor, text.replace('"title": "x"', '"title": "edited"'));
  await page.click('#view-collections button:has-text("Save")');
  await page.waitForSelector('#view-collections .doc-editor .status:has-text("Saved")');
  assert.equal(await bigDoc(), before.replace('"title":"x"', '"title":"edited"'));
  assert.equal(await otherDoc(), other);
  await page.waitForSelector(`#view-collections .docs tr[data-id="${BIG_ID}"]:has-text("edited")`);
  await shoot('big-integers-collections');
  // Query: an argument beyond 2^53 typed by the user selects that document, not the one its double would name
  await page.goto(peers.a.http + '/#query');
  await typeInEditor('#view-query', 'SELECT _id, title, n, f, g FROM big WHERE _id = :id');
  await page.fill('#view-query textarea.args', `{"id": ${BIG_ID}}`);
  await page.click('#view-query #run');
  await page.waitForSelector('#view-query .results tbody tr');
  const cells = await page.$$eval('#view-query .results tbody tr', trs => trs.map(tr => [...tr.children].map(td => td.textContent)));
  assert.deepEqual(cells, [[BIG_ID, 'edited', BIG_ID, '1.0', '1e+300']]);
  await page.click('#view-query button:has-text("JSON")');
  const json = await page.textContent('#view-query pre.json');
  assert.ok(json.includes(`"_id": ${BIG_ID}`) && json.includes(`"n": ${BIG_ID}`) && json.includes('"f": 1.0'), json);
  await shoot('big-integers-query');
  await page.click('#view-query button:has-text("Table")');
  // Live: rows keyed by their exact ids; a change that a double cannot see (2^53 + 1 to 2^53) is marked
  await page.goto(peers.a.http + '/#live');
  await typeInEditor('#view-live', 'SELECT _id, n FROM big ORDER BY _id');
  await page.click('#watch');
  await page.waitForSelector(`#view-live tbody tr[data-key="${BIG_ID}"]`);
  assert.equal(await page.$$eval('#view-live tbody tr', trs => trs.length), 2);
  await execRaw(peers.a, `{"statement": "UPDATE big SET n = ${TWO_53} WHERE _id = ${BIG_ID}"}`);
  const changed = await page.waitForSelector(`#view-live tbody tr[data-key="${BIG_ID}"] td.changed`, { timeout: 30_000 });
  assert.equal(await changed.textContent(), TWO_53);
  assert.equal(await page.$$eval(`#view-live tbody tr[data-key="${TWO_53}"] td.changed`, tds => tds.length), 0);
  await page.click('#view-live button:has-text("Stop")');
  // delete removes that document, not its neighbour
  await page.goto(peers.a.http + '/#collections');
  await page.click('#view-collections tr[data-collection="big"]');
  await page.click(`#view-collections tr[data-id="${BIG_ID}"]`);
  page.once('dialog', d => d.accept());
  await page.click('#view-collections button:has-text("Delete")');
  await until('the delete', async () => !(await bigDoc()).includes(BIG_ID));
  assert.equal(await otherDoc(), other);
});

test('a browser without exact numbers refuses to save or delete a document it would change', async () => {
  await execRaw(peers.a, `{"statement": "INSERT INTO big DOCUMENTS (:d) ON ID CONFLICT DO UPDATE", "args": {"d": {"_id": ${BIG_ID}, "title": "x", "n": 9223372036854775807}}}`);
  const before = await bigDoc(), other = await otherDoc();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    // as in a browser that predates JSON.rawJSON (the page then parses as JSON.parse always did)
    await context.addInitScript(token => { delete JSON.rawJSON; sessionStorage.setItem('starling.token', token); }, TOKEN);
    const old = await context.newPage();
    await old.goto(peers.a.http + '/#collections');
    await old.click('#view-collections tr[data-collection="big"]');
    await old.waitForSelector('#view-collections .docs tbody tr:nth-child(2)');
    await old.click('#view-collections .docs tbody tr:nth-child(2)'); // the big id, shown rounded to its neighbour's
    const editor = '#view-collections textarea[aria-label="document JSON"]';
    await old.fill(editor, (await old.inputValue(editor)).replace('"title": "x"', '"title": "edited"'));
    await old.click('#view-collections button:has-text("Save")');
    const refused = await old.waitForSelector('#view-collections .doc-editor .status.error');
    assert.match(await refused.textContent(), /cannot keep the integer 9007199254740992 in the document exactly/);
    await old.click('#view-collections button:has-text("Delete")'); // refused before the confirmation
    assert.match(await refused.textContent(), /cannot keep the integer 9007199254740992 in the _id exactly/);
    await old.screenshot({ path: join(SHOTS, 'big-integers-refused.png') });
    await old.goto(peers.a.http + '/#query');
    await old.waitForSelector('#view-query .CodeMirror');
    await old.fill('#view-query textarea.args', `{"id": ${BIG_ID}}`);
    await old.click('#view-query #run');
    await old.waitForSelector('#view-query .status.error');
    assert.match(await old.textContent('#view-query .status'), /cannot keep the integer 9007199254740993 in the arguments exactly/);
    assert.equal(await bigDoc(), before);
    assert.equal(await otherDoc(), other);
  } finally {
    await context.close();
  }
});

test('the Indexes view lists, creates and drops indexes', async () => {
  await page.goto(peers.a.http + '/#indexes');
  await page.waitForSelector('#view-indexes td:has-text("by_owner")');
  assert.match(await page.textContent('#view-indexes table'), /owner\.name, n DESC/);
  await page.fill('#view-indexes input[aria-label=collection]', 'cars');
  await page.fill('#view-indexes input[aria-label="index name"]', 'by_year');
  await page.fill('#view-indexes input[aria-label=fields]', 'year DESC');
  await page.click('#view-indexes button:has-text("Create")');
  await page.waitForSelector('#view-indexes td:has-text("by_year")');
  await shoot('indexes');
  page.once('dialog', d => d.accept());
  await page.click('#view-indexes tr:has(td:has-text("by_year")) button');
  await until('the drop', async () => !(await page.$('#view-indexes td:has-text("by_year")')));
});

test('the Sync and Metrics views show the peers and the counters', async () => {
  await page.goto(peers.a.http + '/#sync');
  await page.waitForSelector('#sync-peers tbody tr');
  assert.match(await page.textContent('#sync-peers'), /connected/);
  assert.match(await page.textContent('#view-sync'), /SELECT \* FROM tasks/);
  await shoot('sync');
  await page.goto(peers.a.http + '/#metrics');
  await page.waitForSelector('#view-metrics .tile');
  await until('two samples for a rate', async () => (await page.evaluate(() => window.starlingDashboard.samples.length)) >= 3);
  assert.match(await page.textContent('#view-metrics .tiles'), /peers in presence/);
  assert.equal(await page.$$eval('#view-metrics .chart canvas', c => c.length), 4);
  await shoot('metrics');
});

test('the Presence graph shows the three peers of the line and updates when one leaves', async () => {
  await page.goto(peers.a.http + '/#presence');
  const graph = await page.waitForSelector('#presence-graph[data-peers]');
  const ids = (await graph.getAttribute('data-peers')).split(' ');
  assert.equal(ids.length, 3);
  const hops = await page.$$eval('#presence-peers tbody tr', trs => trs.map(tr => tr.children[1].textContent));
  assert.deepEqual(hops.sort(), ['0', '1', '2']);
  await page.waitForTimeout(1500); // let the force layout settle for the picture (not a check)
  await shoot('presence');
  peers.c.proc.kill('SIGTERM');
  await until('C to leave the graph', async () =>
    (await page.getAttribute('#presence-graph', 'data-peers')).split(' ').length === 2, 60_000);
  const after = await page.$$eval('#presence-peers tbody tr', trs => trs.map(tr => tr.children[1].textContent));
  assert.deepEqual(after.sort(), ['0', '1']);
});
