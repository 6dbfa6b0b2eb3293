// The Starling dashboard: one page over the peer's public HTTP API (docs/HTTP-API.md, docs/DASHBOARD.md).
// No build step, no framework: CodeMirror 5 (editor) and Apache ECharts (charts, presence graph) are the only
// libraries, served by the peer from its jar.
(function () {
  'use strict';

  const TOKEN_KEY = 'starling.token';
  const HISTORY_KEY = 'starling.history';
  const PAGE = 50;
  const MAX_TABLE_ROWS = 1000;
  const RESERVED = new Set(('ALL AND ANY APPLY ARRAY AS ASC BETWEEN BY CASE CREATE DELETE DESC DISTINCT DROP ELSE END ' +
    'EVERY EVICT EXPLAIN FALSE FOR FROM GROUP HAVING ILIKE IN INSERT INTO IS LIKE LIMIT MISSING NOT NULL OFFSET ON OR ' +
    'ORDER SATISFIES SELECT SET THEN TRUE UNSET UPDATE WHEN WHERE').split(' '));
  const KEYWORDS = ('all and any apply array as asc between by case collection conflict create delete desc distinct do ' +
    'documents drop else end escape every evict exists explain for from group having id if ilike in increment index ' +
    'initial insert into is like limit not nothing offset on or order pn_increment restart satisfies select set then ' +
    'unset update update_local_diff valued when where with').split(' ');

  // ---- small DOM helpers -------------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const $ = (sel, root) => (root || document).querySelector(sel);
  const fmt = new Intl.NumberFormat('en');
  const num = n => fmt.format(n);
  function bytes(n) {
    n = Number(n); // a counter beyond 2^53 (a BigInt, see parseJson) only needs to be about right here
    if (n < 1024) return n.toFixed(0) + ' B';
    const u = ['KiB', 'MiB', 'GiB', 'TiB'];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
  }
  function ident(name) {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toUpperCase())
      ? name : '`' + name.replace(/`/g, '``') + '`';
  }

  // ---- JSON that keeps numbers exact -------------------------------------------------------------------------
  // Starling stores 64-bit integers and 64-bit floats; JSON.parse turns every number into a double, which rounds
  // integers beyond ±2^53 and makes a float such as 1.0 indistinguishable from the integer 1. So every JSON text
  // the page reads (API answers, event streams, what the user types) goes through parseJson, and everything it
  // sends or shows as JSON through toJson:
  //   - an integer (no '.', 'e' or 'E' in its text) outside the safe range becomes a BigInt, written back as its
  //     digits;
  //   - a float that JavaScript would write back as an integer (1.0, -0.0, 1.5e20) becomes a WholeFloat holding its
  //     text, written back as that text;
  //   - every other number stays a plain number (it writes back as the same value and type).
  // This needs the reviver's source text (context.source) and JSON.rawJSON. A browser without them gets plain
  // JSON.parse (today's behaviour), and the page refuses to send a text holding an integer it cannot keep exactly
  // (unsafeIntegers) rather than send it rounded.
  /** A float with a whole value, kept as its JSON text (so that 1.0 stays a float, not the integer 1). */
  class WholeFloat {
    constructor(text) { this.text = text; Object.freeze(this); }
    toString() { return this.text; }
  }
  const EXACT_NUMBERS = (() => {
    try {
      const big = '9007199254740993';
      let seen = null;
      JSON.parse(big, (k, v, context) => { seen = context && context.source; return v; });
      return seen === big && typeof JSON.rawJSON === 'function' && JSON.stringify([JSON.rawJSON(big)]) === '[' + big + ']';
    } catch (e) {
      return false;
    }
  })();
  const isFloatText = text => /[.eE]/.test(text);
  function exactNumber(key, value, context) {
    if (typeof value !== 'number') return value;
    const text = context.source;
    if (!isFloatText(text)) return Number.isSafeInteger(value) ? value : BigInt(text);
    return isFloatText(JSON.stringify(value)) ? value : new WholeFloat(text);
  }
  function parseJson(text) { return EXACT_NUMBERS ? JSON.parse(text, exactNumber) : JSON.parse(text); }
  function exactReplacer(key, value) {
    if (typeof value === 'bigint') return JSON.rawJSON(value.toString());
    if (value instanceof WholeFloat) return JSON.rawJSON(value.text);
    return value;
  }
  function toJson(value, space) { return JSON.stringify(value, EXACT_NUMBERS ? exactReplacer : null, space); }
  /** The integers of a (valid) JSON text that a plain number cannot hold exactly; empty when the browser keeps them. */
  function unsafeIntegers(text) {
    if (EXACT_NUMBERS) return [];
    const found = [];
    for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)) {
      if (m[0][0] !== '"' && !isFloatText(m[0]) && !Number.isSafeInteger(Number(m[0]))) found.push(m[0]);
    }
    return found;
  }
  function unsafeMessage(what, found) {
    return `This browser cannot keep the integer ${found[0]} in ${what} exactly (it lacks JSON.rawJSON and the source ` +
      'text in JSON.parse), so nothing was sent: it would have been rounded. Use a current browser for this.';
  }

  // ---- the API -----------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }
  let token = sessionStorage.getItem(TOKEN_KEY);

  function authHeaders(extra) {
    const headers = Object.assign({}, extra || {});
    if (token) headers.Authorization = 'Bearer ' + token;
    return headers;
  }
  async function api(path, options) {
    const opts = Object.assign({}, options || {});
    opts.headers = authHeaders(opts.headers);
    const res = await fetch(path, opts);
    const text = await res.text();
    let body = text;
    try { body = parseJson(text); } catch (e) { /* not JSON */ }
    if (res.status === 401) { loggedOut('The peer refused this token.'); }
    if (!res.ok) {
      const err = body && body.error ? body.error : { code: 'http/' + res.status, message: String(text) };
      throw new ApiError(res.status, err.code, err.message);
    }
    return body;
  }
  function execute(statement, args) {
    return api('/api/v1/execute', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: toJson({ statement, args: args || {} })
    });
  }
  const rows = async (statement, args) => (await execute(statement, args)).items;

  /** Server-Sent Events over fetch (EventSource cannot send the token). Returns the function that stops it. */
  function eventStream(path, onData, onError) {
    const ctrl = new AbortController();
    (async () => {
      try {
        const res = await fetch(path, { headers: authHeaders({ Accept: 'text/event-stream' }), signal: ctrl.signal });
        if (res.status === 401) { loggedOut('The peer refused this token.'); return; }
        if (!res.ok) {
          let msg = res.status + '';
          try { msg = (await res.json()).error.message; } catch (e) { /* keep the status */ }
          onError(msg);
          return;
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf = (buf + value).replace(/\r\n/g, '\n');
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = event.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).replace(/^ /, ''));
            if (data.length) onData(parseJson(data.join('\n')));
          }
        }
        onError('the stream ended (the peer stopped?)');
      } catch (e) {
        if (e.name !== 'AbortError') onError(String(e.message || e));
      }
    })();
    return () => ctrl.abort();
  }

  // ---- rendering values --------------------------------------------------------------------------------------
  function valueCell(v) {
    if (v === undefined) return h('span', { class: 'v-missing' }, 'missing');
    if (v === null) return h('span', { class: 'v-null' }, 'null');
    if (typeof v === 'number' || typeof v === 'bigint' || v instanceof WholeFloat) return h('span', { class: 'v-num' }, String(v));
    if (typeof v === 'boolean') return h('span', { class: 'v-bool' }, String(v));
    if (typeof v === 'string') return h('span', { class: 'v-str' }, v);
    const n = Array.isArray(v) ? v.length : Object.keys(v).length;
    if (n === 0) return h('span', { class: 'v-null' }, Array.isArray(v) ? '[]' : '{}');
    const label = Array.isArray(v) ? `[ ${n} item${n === 1 ? '' : 's'} ]` : `{ ${n} field${n === 1 ? '' : 's'} }`;
    return h('details', { class: 'nested' }, h('summary', {}, label), h('pre', {}, toJson(v, 2)));
  }
  /** Columns in projection order: the keys of the rows in the order they first appear. */
  function columnsOf(items) {
    const cols = [];
    const seen = new Set();
    for (const it of items.slice(0, MAX_TABLE_ROWS)) {
      if (it === null || typeof it !== 'object' || Array.isArray(it) || it instanceof WholeFloat) continue;
      for (const k of Object.keys(it)) if (!seen.has(k)) { seen.add(k); cols.push(k); }
    }
    return cols;
  }
  function table(items, options) {
    const o = options || {};
    const cols = o.columns || columnsOf(items);
    const body = h('tbody');
    items.slice(0, MAX_TABLE_ROWS).forEach((it, i) => {
      const tr = h('tr', { class: o.onRow ? 'clickable' : null });
      for (const c of cols) tr.append(h('td', {}, o.format && o.format[c] ? o.format[c](it[c]) : valueCell(it[c])));
      if (o.onRow) tr.addEventListener('click', () => o.onRow(it, tr, i));
      if (o.decorate) o.decorate(tr, it, i);
      body.append(tr);
    });
    const t = h('table', { class: 'data' }, h('thead', {}, h('tr', {}, cols.map(c => h('th', {}, c)))), body);
    const wrap = h('div', { class: 'table-wrap' }, t);
    if (items.length > MAX_TABLE_ROWS) {
      return h('div', {}, wrap, h('p', { class: 'note' }, `Showing the first ${num(MAX_TABLE_ROWS)} of ${num(items.length)} rows.`));
    }
    return wrap;
  }
  function errorText(e) { return (e.code ? e.code + ': ' : '') + e.message; }

  // ---- DQL mode for CodeMirror -------------------------------------------------------------------------------
  const toSet = words => Object.fromEntries(words.map(w => [w, true]));
  CodeMirror.defineMIME('text/x-dql', {
    name: 'sql',
    keywords: toSet(KEYWORDS),
    builtin: toSet([]),
    atoms: toSet(['false', 'true', 'null', 'missing']),
    operatorChars: /^[*+\-%<>!=|\/]/,
    dateSQL: {},
    support: toSet(['decimallessFloat', 'zerolessFloat']),
    hooks: {
      ':': stream => (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) ? 'variable-2' : null),
      '`': stream => {
        let ch;
        while ((ch = stream.next()) != null) if (ch === '`' && !stream.eat('`')) break;
        return 'variable-2';
      }
    }
  });
  let collectionNames = [];
  async function refreshCollectionNames() {
    try {
      collectionNames = (await rows('SELECT name FROM system:collections ORDER BY name')).map(r => r.name);
    } catch (e) { /* completion just lacks them */ }
    return collectionNames;
  }
  function hintTables() {
    const t = {};
    for (const n of collectionNames.concat(['system:collections', 'system:indexes', 'system:info'])) t[n] = [];
    return t;
  }
  function editor(textarea, onRun) {
    const cm = CodeMirror.fromTextArea(textarea, {
      mode: 'text/x-dql', lineNumbers: true, matchBrackets: true, lineWrapping: true, viewportMargin: Infinity,
      extraKeys: {
        'Ctrl-Enter': () => onRun(), 'Cmd-Enter': () => onRun(),
        'Ctrl-Space': c => c.showHint({ completeSingle: false })
      },
      hintOptions: { get tables() { return hintTables(); }, completeSingle: false }
    });
    cm.on('inputRead', (c, change) => {
      if (!c.state.completionActive && /^[A-Za-z_]$/.test(change.text[0] || '')) c.showHint({ completeSingle: false });
    });
    return cm;
  }
  /** Marks "line L, column C: ..." of an error message in the editor; returns a function that clears it. */
  function markError(cm, message) {
    const m = /^line (\d+), column (\d+)/.exec(message || '');
    if (!m) return () => {};
    const line = Math.max(0, Math.min(cm.lineCount() - 1, +m[1] - 1));
    const text = cm.getLine(line);
    const ch = Math.max(0, Math.min(text.length, +m[2] - 1));
    let end = ch;
    while (end < text.length && /[\w:.'`]/.test(text[end])) end++;
    if (end === ch) end = Math.min(text.length, ch + 1);
    const from = { line, ch: end === ch ? Math.max(0, ch - 1) : ch };
    const mark = cm.markText(from, { line, ch: Math.max(end, from.ch + 1) },
      { className: 'dql-error-mark', title: message, clearOnEnter: true });
    cm.addLineClass(line, 'background', 'dql-error-line');
    cm.setCursor({ line, ch });
    return () => { mark.clear(); cm.removeLineClass(line, 'background', 'dql-error-line'); };
  }
  function argsBox(placeholder) {
    const box = h('textarea', { class: 'args', rows: 1, spellcheck: 'false', placeholder: placeholder || 'Named arguments as a JSON object, e.g. {"year": 1990}' });
    box.read = () => {
      const text = box.value.trim();
      box.classList.remove('invalid');
      if (!text) return {};
      let v;
      try { v = parseJson(text); } catch (e) { box.classList.add('invalid'); throw new ApiError(0, 'arguments', 'the arguments are not valid JSON: ' + e.message); }
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof WholeFloat) {
        box.classList.add('invalid');
        throw new ApiError(0, 'arguments', 'the arguments must be a JSON object, such as {"year": 1990}');
      }
      const unsafe = unsafeIntegers(text);
      if (unsafe.length) { box.classList.add('invalid'); throw new ApiError(0, 'arguments', unsafeMessage('the arguments', unsafe)); }
      return v;
    };
    return box;
  }

  // ---- views -------------------------------------------------------------------------------------------------
  /** Each view: build() once, then show() and hide() as the user moves between them. */
  const views = {};

  views.query = (() => {
    let cm, args, status, out, historyList, historyCount, clearMark = () => {}, last = null, mode = 'table';
    const tabs = {};
    function history() { try { return JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch (e) { return []; } }
    function remember(statement, argsText) {
      const list = history().filter(x => x.statement !== statement || x.args !== argsText);
      list.unshift({ statement, args: argsText, at: Date.now() });
      localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, 50)));
      renderHistory();
    }
    function renderHistory() {
      const list = history();
      historyCount.textContent = `History (${list.length})`;
      historyList.replaceChildren(...list.map(x => h('li', {
        title: x.statement, onclick: () => { cm.setValue(x.statement); args.value = x.args || ''; cm.focus(); }
      }, x.statement.replace(/\s+/g, ' '))));
    }
    function render() {
      out.replaceChildren();
      if (!last) return;
      const items = last.items;
      const plan = items.length === 1 && items[0] && items[0].plan && /^\s*explain\b/i.test(last.statement);
      if (plan && mode !== 'json') { out.append(h('div', { class: 'card' }, planTree(items[0].plan))); return; }
      if (mode === 'json') { out.append(h('div', { class: 'table-wrap' }, h('pre', { class: 'json' }, toJson(last.raw, 2)))); return; }
      if (!items.length) {
        out.append(h('p', { class: 'muted' }, last.raw.mutatedDocumentIds && last.raw.mutatedDocumentIds.length
          ? 'Changed: ' + last.raw.mutatedDocumentIds.map(x => toJson(x)).join(', ') : 'No rows.'));
        return;
      }
      out.append(table(items));
    }
    function setMode(m) { mode = m; for (const k in tabs) tabs[k].classList.toggle('on', k === m); render(); }
    async function run(explain) {
      clearMark();
      if (cm.state.completionActive) cm.state.completionActive.close();
      let statement = cm.getValue().trim();
      if (!statement) return;
      if (explain && !/^\s*explain\b/i.test(statement)) statement = 'EXPLAIN ' + statement;
      let a;
      try { a = args.read(); } catch (e) { status.className = 'status error'; status.textContent = e.message; return; }
      status.className = 'status'; status.textContent = 'Running…';
      const started = performance.now();
      try {
        const raw = await execute(statement, a);
        const ms = Math.round(performance.now() - started);
        last = { statement, raw, items: raw.items || [] };
        const n = last.items.length;
        const changed = (raw.mutatedDocumentIds || []).length;
        status.textContent = (changed ? `${num(changed)} document${changed === 1 ? '' : 's'} changed` : `${num(n)} row${n === 1 ? '' : 's'}`) + ` in ${ms} ms`;
        remember(cm.getValue().trim(), args.value.trim());
        render();
        if (/^\s*(insert|create|drop|delete)\b/i.test(statement)) refreshCollectionNames();
      } catch (e) {
        status.className = 'status error';
        status.textContent = errorText(e);
        status.dataset.code = e.code || '';
        clearMark = markError(cm, e.message);
        last = null;
        render();
      }
    }
    function build() {
      const ta = h('textarea', {}, 'SELECT * FROM ' + (collectionNames[0] ? ident(collectionNames[0]) : 'tasks') + ' LIMIT 20');
      args = argsBox();
      status = h('div', { class: 'status', role: 'status' });
      out = h('div', { class: 'results' });
      historyList = h('ul', { class: 'history' });
      historyCount = h('summary', {});
      for (const m of ['table', 'json']) tabs[m] = h('button', { onclick: () => setMode(m) }, m === 'table' ? 'Table' : 'JSON');
      const el = h('section', { class: 'view', id: 'view-query' },
        h('div', { class: 'editor-box' }, ta),
        args,
        h('div', { class: 'row' },
          h('button', { class: 'primary', id: 'run', onclick: () => run(false) }, 'Run'),
          h('span', { class: 'kbd' }, 'Ctrl-Enter'),
          h('button', { onclick: () => run(true) }, 'Explain'),
          h('span', { class: 'grow' }),
          h('span', { class: 'tabs' }, tabs.table, tabs.json)),
        h('details', { class: 'history-box' }, historyCount, historyList),
        status, out);
      $('#main').append(el);
      cm = editor(ta, () => run(false));
      renderHistory();
      setMode('table');
      return el;
    }
    let el;
    return {
      show() { if (!el) el = build(); el.hidden = false; cm.refresh(); cm.focus(); refreshCollectionNames(); },
      hide() { if (el) el.hidden = true; },
      run: () => run(false)
    };
  })();

  function planTree(op) {
    const details = [];
    for (const [k, v] of Object.entries(op)) {
      if (k === 'operator' || k === 'input' || k === 'inputs') continue;
      details.push(k + ': ' + (typeof v === 'string' ? v : toJson(v)));
    }
    const children = [];
    if (op.input) children.push(op.input);
    if (Array.isArray(op.inputs)) children.push(...op.inputs);
    const li = h('li', {}, h('span', { class: 'op' }, h('b', {}, op.operator || '?'),
      details.length ? h('span', { class: 'detail' }, details.join(' · ')) : null));
    if (children.length) li.append(h('ul', {}, children.map(c => planTree(c).firstChild)));
    return h('ul', { class: 'plan' }, li);
  }

  views.collections = (() => {
    // keyset paging: a page is where it starts (anchor), never an OFFSET, so a page deep in a collection costs what
    // the first one does: {from: 'first'} | {from: 'last'} | {after: id} | {before: id} | {atLeast: id}
    let el, list, right, pollTimer = null, stopPage = null, current = null, anchor = { from: 'first' }, counts = new Map(), filter = '', selectedKey = null;
    async function loadList() {
      try {
        const items = await rows('SELECT name, documents FROM system:collections ORDER BY name');
        collectionNames = items.map(r => r.name);
        counts = new Map(items.map(r => [r.name, r.documents]));
        list.replaceChildren(items.length ? table(items, {
          columns: ['name', 'documents'],
          // a count, not a stored value: shown with the locale's digit grouping (stored numbers are shown as stored)
          format: { documents: v => typeof v === 'number' ? h('span', { class: 'v-num' }, num(v)) : valueCell(v) },
          onRow: it => openCollection(it.name),
          decorate: (tr, it) => { tr.dataset.collection = it.name; if (it.name === current) tr.classList.add('selected'); }
        }) : h('p', { class: 'muted' }, 'No collection holds documents yet.'));
        if (current) renderPager();
      } catch (e) { list.replaceChildren(h('p', { class: 'error' }, errorText(e))); }
    }
    /** The page's statement and arguments: PAGE + 1 rows from the anchor, so that the extra one says there is more. */
    function pageQuery() {
      const conds = [];
      const args = {};
      let backwards = false;
      if ('after' in anchor) { conds.push('_id > :k'); args.k = anchor.after; }
      else if ('atLeast' in anchor) { conds.push('_id >= :k'); args.k = anchor.atLeast; }
      else if ('before' in anchor) { conds.push('_id < :k'); args.k = anchor.before; backwards = true; }
      else if (anchor.from === 'last') backwards = true;
      if (filter.trim()) conds.push('(' + filter.trim() + ')');
      const where = conds.length ? ' WHERE ' + conds.join(' AND ') : '';
      return {
        statement: `SELECT * FROM ${ident(current)}${where} ORDER BY _id${backwards ? ' DESC' : ''} LIMIT ${PAGE + 1}`,
        args, backwards
      };
    }
    let pageItems = [], pageError = null, pager, docsBox, editorBox, pageNo = 1, pageMore = false, pageBackwards = false;
    /** The rows shown, ascending by _id (a backwards page is read descending and turned round). */
    function shownItems() {
      const items = pageItems.slice(0, PAGE);
      return pageBackwards ? items.reverse() : items;
    }
    function go(next, number) { anchor = next; pageNo = number; watchPage(); }
    function renderPager() {
      if (!pager) return;
      const total = counts.get(current);
      const items = shownItems();
      const atStart = anchor.from === 'first' || (pageBackwards && !pageMore);
      const atEnd = anchor.from === 'last' || (!pageBackwards && !pageMore);
      const first = items.length ? items[0]._id : null, last = items.length ? items[items.length - 1]._id : null;
      const where = anchor.from === 'last' ? 'last page' : pageNo > 0 ? 'page ' + num(pageNo) : 'from _id ≥ ' + toJson(anchor.atLeast);
      pager.replaceChildren(
        h('button', { disabled: atStart, onclick: () => go({ from: 'first' }, 1) }, '« First'),
        h('button', { disabled: atStart || !items.length, onclick: () => go({ before: first }, pageNo > 1 ? pageNo - 1 : 0) }, '‹ Previous'),
        h('span', { class: 'muted', id: 'page-position' }, items.length
          ? `${where} · ${toJson(first)} – ${toJson(last)}` + (filter.trim() ? ' (filtered)' : total != null ? ` · ${num(total)} in all` : '')
          : 'no documents'),
        h('button', { disabled: atEnd || !items.length, onclick: () => go({ after: last }, pageNo > 0 ? pageNo + 1 : 0) }, 'Next ›'),
        h('button', { disabled: atEnd, onclick: () => go({ from: 'last' }, 0) }, 'Last »'),
        h('span', { class: 'note' }, 'live: changes on this page show up as they happen'));
    }
    function renderDocs() {
      if (pageError) { docsBox.replaceChildren(h('p', { class: 'error' }, pageError)); return; }
      const items = shownItems();
      const cols = columnsOf(items);
      docsBox.replaceChildren(items.length ? table(items, {
        columns: cols,
        onRow: it => openDocument(it),
        decorate: (tr, it) => { const k = toJson(it._id); tr.dataset.id = k; if (k === selectedKey) tr.classList.add('selected'); }
      }) : h('p', { class: 'muted' }, filter.trim() ? 'No document matches the filter.' : 'No documents.'));
      renderPager();
    }
    function watchPage() {
      if (stopPage) stopPage();
      pageError = null;
      const q = pageQuery(), from = anchor;
      const path = '/api/v1/observe?statement=' + encodeURIComponent(q.statement) + '&args=' + encodeURIComponent(toJson(q.args));
      stopPage = eventStream(path, data => {
        // "previous" onto the start of the collection: show the first full page instead of a short one
        if ('before' in from && data.items.length <= PAGE) { go({ from: 'first' }, 1); return; }
        pageItems = data.items; pageBackwards = q.backwards; pageMore = data.items.length > PAGE; pageError = null; renderDocs();
      },
        msg => { pageError = msg; renderDocs(); });
    }
    function openCollection(name) {
      current = name; anchor = { from: 'first' }; pageNo = 1; filter = ''; selectedKey = null; pageItems = [];
      const filterBox = h('input', { class: 'grow', placeholder: 'Filter: a WHERE condition, e.g. done = false AND year > 1990', 'aria-label': 'filter' });
      filterBox.addEventListener('keydown', e => { if (e.key === 'Enter') { filter = filterBox.value; go({ from: 'first' }, 1); } });
      pager = h('div', { class: 'pager' });
      docsBox = h('div', { class: 'docs' });
      editorBox = h('div', { class: 'doc-editor' });
      const jump = h('input', { class: 'jump', placeholder: 'go to _id…', 'aria-label': 'go to _id', title: 'the first document whose _id is at least this (JSON, or text for a string id)' });
      const goTo = () => {
        const text = jump.value.trim();
        if (!text) return;
        let id; try { id = parseJson(text); } catch (e) { id = text; }
        go({ atLeast: id }, 0);
      };
      jump.addEventListener('keydown', e => { if (e.key === 'Enter') goTo(); });
      right.replaceChildren(h('h2', {}, name),
        h('div', { class: 'row' }, filterBox, h('button', { onclick: () => { filter = filterBox.value; go({ from: 'first' }, 1); } }, 'Apply'),
          jump, h('button', { onclick: goTo }, 'Go')),
        pager, editorBox, docsBox);
      for (const tr of list.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.collection === name);
      watchPage();
    }
    function openDocument(doc) {
      selectedKey = toJson(doc._id);
      for (const tr of docsBox.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.id === selectedKey);
      const text = h('textarea', { spellcheck: 'false', 'aria-label': 'document JSON' }, toJson(doc, 2));
      const msg = h('p', { class: 'status' });
      const close = () => { editorBox.replaceChildren(); selectedKey = null; renderDocs(); };
      async function save() {
        let edited;
        try { edited = parseJson(text.value); } catch (e) { msg.className = 'status error'; msg.textContent = 'Not valid JSON: ' + e.message; return; }
        if (!edited || typeof edited !== 'object' || Array.isArray(edited) || edited instanceof WholeFloat) { msg.className = 'status error'; msg.textContent = 'A document is a JSON object.'; return; }
        if (toJson(edited._id) !== toJson(doc._id)) { msg.className = 'status error'; msg.textContent = 'The _id cannot change (copy the document under a new _id with the Query view instead).'; return; }
        const unsafe = unsafeIntegers(text.value);
        if (unsafe.length) { msg.className = 'status error'; msg.textContent = unsafeMessage('the document', unsafe); return; }
        try {
          await execute(`INSERT INTO ${ident(current)} DOCUMENTS (:doc) ON ID CONFLICT DO UPDATE`, { doc: edited });
          const removed = Object.keys(doc).filter(k => k !== '_id' && !(k in edited));
          if (removed.length) await execute(`UPDATE ${ident(current)} UNSET ${removed.map(ident).join(', ')} WHERE _id = :id`, { id: doc._id });
          msg.className = 'status'; msg.textContent = 'Saved.';
        } catch (e) { msg.className = 'status error'; msg.textContent = errorText(e); }
      }
      async function remove() {
        const unsafe = unsafeIntegers(toJson(doc._id));
        if (unsafe.length) { msg.className = 'status error'; msg.textContent = unsafeMessage('the _id', unsafe); return; }
        if (!confirm(`Delete the document ${toJson(doc._id)} from ${current}? Peers that sync it delete it too.`)) return;
        try { await execute(`DELETE FROM ${ident(current)} WHERE _id = :id`, { id: doc._id }); close(); loadList(); } catch (e) { msg.className = 'status error'; msg.textContent = errorText(e); }
      }
      editorBox.replaceChildren(h('div', { class: 'card' },
        h('h2', { class: 'doc-title' }, 'Document ' + toJson(doc._id)), text, msg,
        h('div', { class: 'row' }, h('button', { class: 'primary', onclick: save }, 'Save'),
          h('button', { class: 'danger', onclick: remove }, 'Delete…'), h('button', { onclick: close }, 'Close'))));
    }
    function build() {
      list = h('div', { class: 'coll-list' });
      right = h('div', {}, h('p', { class: 'muted' }, 'Pick a collection to browse its documents.'));
      el = h('section', { class: 'view', id: 'view-collections' }, h('div', { class: 'split' }, h('div', {}, h('h2', {}, 'Collections'), list), right));
      $('#main').append(el);
    }
    return {
      show() { if (!el) build(); el.hidden = false; loadList(); pollTimer = setInterval(loadList, 3000); if (current && !stopPage) watchPage(); },
      hide() { if (el) el.hidden = true; clearInterval(pollTimer); if (stopPage) { stopPage(); stopPage = null; } }
    };
  })();

  views.live = (() => {
    let el, cm, args, status, out, stop = null, prev = new Map(), prevOrder = [], ghosts = [], columns = [], updates = 0;
    const keyOf = (it, i) => (it && typeof it === 'object' && '_id' in it ? toJson(it._id) : '#' + i);
    function renderDelivery(items) {
      updates++;
      const now = Date.now();
      const next = new Map();
      items.forEach((it, i) => next.set(keyOf(it, i), it));
      const firstDelivery = updates === 1;
      // rows that left stay a moment, struck through, where they were
      prevOrder.forEach((k, i) => { if (!next.has(k)) ghosts.push({ key: k, item: prev.get(k), index: i, until: now + 2500 }); });
      ghosts = ghosts.filter(g => g.until > now && !next.has(g.key));
      const cols = columnsOf(items.concat(ghosts.map(g => g.item)));
      for (const c of cols) if (!columns.includes(c)) columns.push(c);
      const shown = items.map((it, i) => ({ key: keyOf(it, i), item: it, gone: false }));
      for (const g of ghosts) shown.splice(Math.min(g.index, shown.length), 0, { key: g.key, item: g.item, gone: true });
      const body = h('tbody');
      for (const r of shown.slice(0, MAX_TABLE_ROWS)) {
        const old = prev.get(r.key);
        const tr = h('tr', { 'data-key': r.key });
        if (r.gone) tr.className = 'removed';
        else if (!old && !firstDelivery) tr.className = 'added';
        for (const c of columns) {
          const td = h('td', {}, valueCell(r.item[c]));
          if (!r.gone && old && toJson(old[c]) !== toJson(r.item[c])) td.className = 'changed';
          tr.append(td);
        }
        body.append(tr);
      }
      out.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, columns.map(c => h('th', {}, c)))), body)));
      prev = next; prevOrder = [...next.keys()];
      status.className = 'status';
      status.textContent = `Live · ${num(items.length)} row${items.length === 1 ? '' : 's'} · update ${updates} at ${new Date().toLocaleTimeString()}`;
      // once the struck-through rows have had their moment, draw again without them (not a delivery: no count)
      if (ghosts.length) setTimeout(() => {
        if (stop && ghosts.some(g => g.until <= Date.now())) { updates--; renderDelivery([...prev.values()]); }
      }, 2600);
    }
    function watch() {
      unwatch();
      let a;
      try { a = args.read(); } catch (e) { status.className = 'status error'; status.textContent = e.message; return; }
      prev = new Map(); prevOrder = []; ghosts = []; columns = []; updates = 0;
      status.className = 'status'; status.textContent = 'Starting…';
      const q = '/api/v1/observe?statement=' + encodeURIComponent(cm.getValue().trim()) + '&args=' + encodeURIComponent(toJson(a));
      stop = eventStream(q, data => renderDelivery(data.items), msg => {
        status.className = 'status error'; status.textContent = msg; markError(cm, msg); stop = null; buttons();
      });
      buttons();
    }
    function unwatch() { if (stop) { stop(); stop = null; status.textContent = 'Stopped.'; } buttons(); }
    let watchBtn, stopBtn;
    function buttons() { if (watchBtn) { watchBtn.disabled = !!stop; stopBtn.disabled = !stop; } }
    function build() {
      const ta = h('textarea', {}, 'SELECT * FROM ' + (collectionNames[0] ? ident(collectionNames[0]) : 'tasks') + ' ORDER BY _id LIMIT 100');
      args = argsBox();
      status = h('div', { class: 'status', role: 'status' }, 'Not watching. Rows that arrive are green, changed values yellow, rows that leave struck through.');
      out = h('div', {});
      watchBtn = h('button', { class: 'primary', id: 'watch', onclick: watch }, 'Watch');
      stopBtn = h('button', { onclick: unwatch, disabled: true }, 'Stop');
      el = h('section', { class: 'view', id: 'view-live' },
        h('div', { class: 'live-editor' }, ta), args,
        h('div', { class: 'row' }, watchBtn, stopBtn, h('span', { class: 'kbd' }, 'Ctrl-Enter')), status, out);
      $('#main').append(el);
      cm = editor(ta, watch);
    }
    return {
      show() { if (!el) build(); el.hidden = false; cm.refresh(); },
      hide() { if (el) el.hidden = true; unwatch(); }
    };
  })();

  views.presence = (() => {
    // live: GET /api/v1/presence/observe sends the graph now and at each change; if the stream drops, the view polls
    // GET /api/v1/presence every 2 s and tries the stream again every 10 s
    let el, chart, timer = null, retry = null, stop = null, peersBox, info, last = null, mode = '';
    const COLORS = ['#f5a623', '#1f77b4', '#8c6bb1'];
    async function load() {
      let g;
      try { g = await api('/api/v1/presence'); } catch (e) { info.className = 'error'; info.textContent = errorText(e); return; }
      render(g);
    }
    function live() {
      if (stop) stop();
      mode = 'live';
      stop = eventStream('/api/v1/presence/observe', g => { if (timer) { clearInterval(timer); timer = null; } mode = 'live'; render(g); }, () => {
        stop = null;
        mode = 'polling (the live stream dropped)';
        if (!timer) { load(); timer = setInterval(load, 2000); }
        if (!retry) retry = setTimeout(() => { retry = null; if (!el.hidden) live(); }, 10_000);
      });
    }
    function render(g) {
      last = g;
      info.className = 'muted';
      const peers = [g.local].concat(g.remotePeers);
      info.textContent = `${peers.length} peer${peers.length === 1 ? '' : 's'} · ${g.connections.length} connection${g.connections.length === 1 ? '' : 's'} · ${mode} · updated ${new Date().toLocaleTimeString()}`;
      info.dataset.mode = mode.split(' ')[0];
      const label = p => (p.metadata && p.metadata.name ? p.metadata.name + '\n' : '') + p.peerId.slice(0, 8);
      // the layout's scale follows the box, so that a narrow window keeps every peer in view
      const size = Math.min(el.querySelector('.graph').clientWidth, el.querySelector('.graph').clientHeight) || 400;
      const edge = Math.max(50, Math.min(200, size / (2 + Math.sqrt(peers.length))));
      chart.setOption({
        series: [{
          type: 'graph', layout: 'force', roam: true, draggable: true,
          // a bigger mesh pulls in harder, so that peers two hops out stay inside the box
          force: { repulsion: edge * 5, edgeLength: [edge * 0.8, edge * 1.2], gravity: peers.length > 8 ? 0.3 : 0.1 },
          categories: [{ name: 'this peer' }, { name: 'direct' }, { name: 'multi-hop' }],
          label: { show: true, position: 'bottom', fontSize: 12, fontFamily: 'monospace' },
          edgeLabel: { show: true, formatter: p => p.data.transport, fontSize: 12, color: '#34495e' },
          lineStyle: { width: 2, color: '#9aa8b6', curveness: 0.05 },
          data: peers.map(p => ({
            id: p.peerId, name: p.peerId, value: p.hops, peer: p,
            category: p.hops === 0 ? 0 : p.hops === 1 ? 1 : 2,
            symbolSize: p.hops === 0 ? 44 : 32, label: { formatter: label(p) },
            itemStyle: { color: COLORS[p.hops === 0 ? 0 : p.hops === 1 ? 1 : 2] }
          })),
          links: g.connections.map(c => ({ source: c.peerA, target: c.peerB, transport: c.transport }))
        }]
      });
      el.querySelector('.graph').dataset.peers = peers.map(p => p.peerId).join(' ');
      peersBox.replaceChildren(table(peers.map(p => ({
        peer: p.peerId + (p.hops === 0 ? ' (this peer)' : ''), hops: p.hops,
        user: p.metadata && (p.metadata.user || p.metadata.userId) || '', metadata: p.metadata
      })), { columns: ['peer', 'hops', 'user', 'metadata'] }));
    }
    function build() {
      const graphEl = h('div', { class: 'graph', id: 'presence-graph' });
      info = h('p', { class: 'muted' });
      peersBox = h('div', { id: 'presence-peers' });
      el = h('section', { class: 'view', id: 'view-presence' },
        h('div', { class: 'row' }, h('h2', { class: 'grow' }, 'Presence'), info),
        h('div', { class: 'legend' }, ['this peer', 'direct neighbour', 'multi-hop'].map((n, i) => h('span', {}, h('span', { class: 'dot', style: 'background:' + COLORS[i] }), n)),
          h('span', {}, 'edges: transport · hover a peer for its metadata · drag, scroll to zoom')),
        graphEl, h('h3', {}, 'Peers'), peersBox);
      $('#main').append(el);
      chart = echarts.init(graphEl);
      chart.setOption({
        tooltip: {
          confine: true,
          formatter: p => {
            if (p.dataType === 'edge') return `${p.data.source.slice(0, 8)} — ${p.data.target.slice(0, 8)}<br>transport: <b>${p.data.transport}</b>`;
            const peer = p.data.peer;
            const meta = toJson(peer.metadata || {});
            const user = peer.metadata && (peer.metadata.user || peer.metadata.userId);
            return `<b>${peer.peerId}</b>${peer.hops === 0 ? ' (this peer)' : ''}<br>hops: ${peer.hops}` +
              (user ? `<br>user: ${escapeHtml(String(user))}` : '') + `<br>metadata: ${escapeHtml(meta)}`;
          }
        }
      });
      window.addEventListener('resize', () => { chart.resize(); if (!el.hidden && last) render(last); });
    }
    return {
      show() { if (!el) build(); el.hidden = false; chart.resize(); live(); },
      hide() {
        if (el) el.hidden = true;
        if (stop) { stop(); stop = null; }
        clearInterval(timer); timer = null; clearTimeout(retry); retry = null;
      }
    };
  })();
  function escapeHtml(s) { return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }

  // metrics are sampled from login on, so that the charts have a past when they are opened
  const samples = [];
  const KEEP_MS = 10 * 60 * 1000;
  let sampler = null;
  async function sample() {
    try {
      const m = await api('/api/v1/metrics');
      samples.push(Object.assign({ t: Date.now() }, m));
      while (samples.length && samples[0].t < Date.now() - KEEP_MS) samples.shift();
      for (const f of metricListeners) f();
    } catch (e) { /* shown by the views */ }
  }
  const metricListeners = new Set();

  views.sync = (() => {
    let el, box, subs, timer, totals;
    const ackSeen = new Map();
    async function load() {
      let s;
      try { s = await api('/api/v1/sync'); } catch (e) { box.replaceChildren(h('p', { class: 'error' }, errorText(e))); return; }
      const now = Date.now();
      for (const p of s.peers) {
        const seen = ackSeen.get(p.peerId);
        if (!seen || seen.ack !== p.acknowledgedSequence) ackSeen.set(p.peerId, { ack: p.acknowledgedSequence, at: now, first: !seen });
      }
      box.replaceChildren(s.peers.length ? table(s.peers.map(p => {
        const seen = ackSeen.get(p.peerId);
        return {
          peer: p.peerId, state: p.connected ? 'connected' : 'disconnected', transport: p.transport || '',
          hops: p.hops, 'docs out': num(p.documentsSent), 'docs in': num(p.documentsReceived),
          'bytes out': bytes(p.bytesSent), 'bytes in': bytes(p.bytesReceived),
          acknowledged: p.acknowledgedSequence,
          'ack last moved': seen.first ? 'before this page opened' : ago(now - seen.at),
          'last exchange': p.lastExchange ? ago(Math.max(0, now - Date.parse(p.lastExchange))) : 'none yet'
        };
      }), { columns: ['peer', 'state', 'transport', 'hops', 'docs out', 'docs in', 'bytes out', 'bytes in',
        'acknowledged', 'ack last moved', 'last exchange'] })
        : h('p', { class: 'muted' }, 'No peer is connected.'));
      subs.replaceChildren(s.subscriptions.length ? table(s.subscriptions, { columns: ['query', 'arguments'] })
        : h('p', { class: 'muted' }, 'This peer asks its peers for nothing (no subscription).'));
    }
    function renderTotals() {
      const m = samples[samples.length - 1];
      if (!m || !totals) return;
      totals.replaceChildren(...[
        ['bytes sent', bytes(m.bytesSent)], ['bytes received', bytes(m.bytesReceived)],
        ['documents sent', num(m.documentsSent)], ['documents received', num(m.documentsReceived)],
        ['sync sessions', num(m.connections)], ['refused documents', num(m.documentsRefused)]
      ].map(([l, n]) => h('div', { class: 'tile' }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, l))));
    }
    function build() {
      box = h('div', { id: 'sync-peers' }); subs = h('div', {}); totals = h('div', { class: 'tiles' });
      el = h('section', { class: 'view', id: 'view-sync' }, h('h2', {}, 'Remote peers'), box,
        h('p', { class: 'note' }, 'Per peer, for its current session: documents and bytes of sync messages each way; "acknowledged" is the last change of this peer that the remote peer has confirmed. For all peers together, since start:'),
        totals, h('h3', {}, 'Subscriptions of this peer'), subs);
      $('#main').append(el);
    }
    return {
      show() { if (!el) build(); el.hidden = false; load(); renderTotals(); metricListeners.add(renderTotals); timer = setInterval(load, 2000); },
      hide() { if (el) el.hidden = true; clearInterval(timer); metricListeners.delete(renderTotals); }
    };
  })();
  function ago(ms) {
    const s = Math.round(ms / 1000);
    return s < 60 ? s + ' s ago' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s ago';
  }

  views.metrics = (() => {
    let el, charts = [], tiles;
    const specs = [
      { title: 'Bytes per second', unit: 'B/s', series: [['sent', 'bytesSent'], ['received', 'bytesReceived']], rate: true },
      { title: 'Documents per second', unit: 'docs/s', series: [['sent', 'documentsSent'], ['received', 'documentsReceived'], ['refused', 'documentsRefused']], rate: true },
      { title: 'Sync messages per second', unit: 'msgs/s', series: [['sent', 'messagesSent'], ['received', 'messagesReceived']], rate: true },
      { title: 'Connections and peers', unit: '', series: [['sync sessions', 'connections'], ['peers in presence', 'presencePeers']], rate: false }
    ];
    function points(key, rate) {
      const out = [];
      for (let i = rate ? 1 : 0; i < samples.length; i++) {
        const s = samples[i];
        if (!rate) { out.push([s.t, Number(s[key])]); continue; }
        const p = samples[i - 1];
        out.push([s.t, Math.max(0, (Number(s[key]) - Number(p[key])) * 1000 / Math.max(1, s.t - p.t))]);
      }
      return out;
    }
    function update() {
      if (!el || el.hidden) return;
      specs.forEach((spec, i) => charts[i].setOption({ series: spec.series.map(([name, key]) => ({ name, data: points(key, spec.rate) })) }));
      const m = samples[samples.length - 1];
      if (m) tiles.replaceChildren(...[
        [bytes(m.bytesSent), 'sent'], [bytes(m.bytesReceived), 'received'], [num(m.documentsSent), 'documents sent'],
        [num(m.documentsReceived), 'documents received'], [num(m.connections), 'sync sessions'], [num(m.presencePeers), 'peers in presence'],
        [m.storeHealthy ? 'healthy' : m.storeProblem, 'store']
      ].map(([n, l]) => h('div', { class: 'tile' }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, l))));
    }
    function build() {
      tiles = h('div', { class: 'tiles' });
      const grid = h('div', { class: 'charts' });
      el = h('section', { class: 'view', id: 'view-metrics' }, h('h2', {}, 'Metrics'),
        h('p', { class: 'note' }, 'Totals since the peer started; the charts cover the last 10 minutes this page has seen, sampled every 2 s from /api/v1/metrics.'),
        tiles, grid);
      $('#main').append(el);
      for (const spec of specs) {
        const div = h('div', { class: 'chart' });
        grid.append(div);
        const c = echarts.init(div);
        c.setOption({
          title: { text: spec.title, left: 10, top: 8, textStyle: { fontSize: 13 } },
          tooltip: { trigger: 'axis' }, legend: { top: 30, left: 6, itemHeight: 8, textStyle: { fontSize: 11 } }, animation: false,
          grid: { left: 56, right: 20, top: 74, bottom: 28 },
          xAxis: { type: 'time', splitNumber: 4, axisLabel: { hideOverlap: true, formatter: '{HH}:{mm}:{ss}' } }, yAxis: { type: 'value', name: spec.unit, nameTextStyle: { fontSize: 11 }, minInterval: spec.rate ? 0 : 1 },
          series: spec.series.map(([name]) => ({ name, type: 'line', showSymbol: false, data: [] }))
        });
        charts.push(c);
      }
      window.addEventListener('resize', () => charts.forEach(c => c.resize()));
    }
    return {
      show() { if (!el) build(); el.hidden = false; charts.forEach(c => c.resize()); update(); metricListeners.add(update); },
      hide() { if (el) el.hidden = true; metricListeners.delete(update); }
    };
  })();

  views.indexes = (() => {
    let el, box, msg, coll, name, fields, preview;
    function statement() {
      return `CREATE INDEX ${ident(name.value.trim() || 'name')} ON ${ident(coll.value.trim() || 'collection')} (${fields.value.trim() || 'field'})`;
    }
    async function load() {
      try {
        const items = await rows('SELECT collection, name, fields FROM system:indexes ORDER BY collection, name');
        box.replaceChildren(items.length ? table(items.map(i => ({
          collection: i.collection, name: i.name, fields: i.fields.map(f => f.path + (f.order === 'DESC' ? ' DESC' : '')).join(', '), '': ''
        })), {
          columns: ['collection', 'name', 'fields', ''],
          decorate: (tr, it) => tr.lastChild.replaceChildren(h('button', { class: 'danger', onclick: () => drop(it) }, 'Drop…'))
        }) : h('p', { class: 'muted' }, 'No index yet.'));
      } catch (e) { box.replaceChildren(h('p', { class: 'error' }, errorText(e))); }
      const dl = $('#collection-names');
      dl.replaceChildren(...(await refreshCollectionNames()).map(n => h('option', { value: n })));
    }
    async function drop(it) {
      if (!confirm(`Drop the index ${it.name} on ${it.collection}?`)) return;
      try { await execute(`DROP INDEX ${ident(it.name)} ON ${ident(it.collection)}`); msg.className = 'status'; msg.textContent = `Dropped ${it.name}.`; } catch (e) { msg.className = 'status error'; msg.textContent = errorText(e); }
      load();
    }
    async function create(e) {
      e.preventDefault();
      try { await execute(statement()); msg.className = 'status'; msg.textContent = 'Created: ' + statement(); } catch (err) { msg.className = 'status error'; msg.textContent = errorText(err); }
      load();
    }
    function build() {
      box = h('div', {}); msg = h('p', { class: 'status', role: 'status' });
      coll = h('input', { list: 'collection-names', placeholder: 'collection', required: true, 'aria-label': 'collection' });
      name = h('input', { placeholder: 'index name, e.g. by_make', required: true, 'aria-label': 'index name' });
      fields = h('input', { class: 'grow', placeholder: 'fields, e.g. make, year DESC', required: true, 'aria-label': 'fields' });
      preview = h('code', { class: 'muted' });
      const upd = () => { preview.textContent = statement(); };
      for (const i of [coll, name, fields]) i.addEventListener('input', upd);
      el = h('section', { class: 'view', id: 'view-indexes' }, h('h2', {}, 'Indexes'), box,
        h('h3', {}, 'Create an index'),
        h('form', { class: 'row', onsubmit: create }, coll, name, fields, h('button', { class: 'primary', type: 'submit' }, 'Create')),
        preview, msg, h('datalist', { id: 'collection-names' }));
      $('#main').append(el);
      upd();
    }
    return {
      show() { if (!el) build(); el.hidden = false; load(); },
      hide() { if (el) el.hidden = true; }
    };
  })();

  // ---- login and navigation ----------------------------------------------------------------------------------
  let active = null;
  function route() {
    const name = (location.hash || '#query').slice(1);
    const view = views[name] ? name : 'query';
    if (active && active !== view) views[active].hide();
    active = view;
    for (const a of document.querySelectorAll('#nav a')) {
      a.classList.toggle('active', a.dataset.view === view);
      if (a.dataset.view === view) a.scrollIntoView({ block: 'nearest', inline: 'nearest' }); // a narrow window scrolls the tabs
    }
    views[view].show();
  }
  let loggingOut = false;
  /**
   * The token was refused (or forgotten): nothing of the data may stay. A page that showed data reloads, so that
   * every view, stream and timer is gone; before that, only the form is shown.
   */
  function loggedOut(message) {
    const hadToken = !!token;
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    if (!$('#app').hidden) {
      if (loggingOut) return;
      loggingOut = true;
      $('#main').replaceChildren();
      if (message) sessionStorage.setItem('starling.loginMessage', message);
      location.reload();
      return;
    }
    showLogin(hadToken ? message : '');
  }
  function showLogin(message) {
    $('#app').hidden = true;
    $('#login').hidden = false;
    const err = $('#login-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('#login-token').value = '';
    $('#login-token').focus();
  }
  async function start() {
    let graph;
    try {
      graph = await api('/api/v1/presence');
    } catch (e) {
      if (e.status !== 401) showLogin('The peer cannot be reached: ' + errorText(e));
      return;
    }
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#peer-id').textContent = graph.local.peerId;
    $('#logout').hidden = !token;
    await refreshCollectionNames();
    sample();
    sampler = setInterval(sample, 2000);
    route();
  }
  $('#login-form').addEventListener('submit', e => {
    e.preventDefault();
    token = $('#login-token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $('#login-error').hidden = true;
    start();
  });
  $('#logout').addEventListener('click', () => loggedOut(''));
  window.addEventListener('hashchange', () => { if (!$('#app').hidden) route(); });
  window.starlingDashboard = { views, samples };
  const pending = sessionStorage.getItem('starling.loginMessage');
  sessionStorage.removeItem('starling.loginMessage');
  if (pending) showLogin(pending); else start();
})();
