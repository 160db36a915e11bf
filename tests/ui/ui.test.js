// ui.test.js - the regit web UI in a headless Chromium, as its users use it.
//
// Run by tests/integration/ui_browser.sh, which starts `regit serve --auth`
// (users alice:admin, wendy:write, rita:read, password "secret") and sets
// REGISTRY_URL, STORE (the bare git store), WORK (a scratch directory),
// BROWSER (the Chromium binary) and UI_SCREENSHOT (where the diff view's
// screenshot goes). Prints TAP lines.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const puppeteer = require('puppeteer-core');
const { test, run } = require('../interop/tap');

const BASE = process.env.REGISTRY_URL;
const WORK = process.env.WORK;
const STORE = process.env.STORE;
const CT = 'application/vnd.schemaregistry.v1+json';
const auth = (u) => 'Basic ' + Buffer.from(`${u}:secret`).toString('base64');

async function call(user, method, p, body) {
  const r = await fetch(BASE + p, {
    method,
    headers: Object.assign({ Authorization: auth(user) }, body ? { 'Content-Type': CT } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p} as ${user}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const register = (user, subject, schema, references) =>
  call(user, 'POST', `/subjects/${encodeURIComponent(subject)}/versions`,
    { schema: JSON.stringify(schema), references });

const ORDER_FIELDS = [{ name: 'id', type: 'long' }, { name: 'amount', type: 'double' }];

async function seed() {
  await register('wendy', 'address-value', { type: 'record', name: 'Address', namespace: 'com.example',
    fields: [{ name: 'street', type: 'string' }] });
  await register('wendy', 'shipment-value', { type: 'record', name: 'Shipment', namespace: 'com.example',
    fields: [{ name: 'to', type: 'com.example.Address' }] },
  [{ name: 'com.example.Address', subject: 'address-value', version: 1 }]);
  await register('wendy', 'orders-value', { type: 'record', name: 'Order', fields: ORDER_FIELDS });
  await register('alice', 'orders-value', { type: 'record', name: 'Order',
    fields: ORDER_FIELDS.concat([{ name: 'note', type: 'string', default: '' }]) });
  // v3 drops `note`: allowed only while the subject's level is NONE, so
  // the diff of v2 and v3 has a finding to show.
  await call('alice', 'PUT', '/config/orders-value', { compatibility: 'NONE' });
  await register('alice', 'orders-value', { type: 'record', name: 'Order',
    fields: ORDER_FIELDS.concat([{ name: 'currency', type: 'string', default: 'EUR' }]) });
  await call('alice', 'PUT', '/config/orders-value', { compatibility: 'FULL_TRANSITIVE', 'regit.rules': 'strict' });
  await register('alice', 'old-value', { type: 'record', name: 'Old', fields: [{ name: 'x', type: 'int' }] });
  await call('alice', 'DELETE', '/subjects/old-value');
  for (let i = 0; i < 55; i++) {
    await register('alice', `bulk-${String(i).padStart(3, '0')}`, { type: 'record', name: `Bulk${i}`,
      fields: [{ name: 'n', type: 'int' }] });
  }
}

// ---- browser helpers -------------------------------------------------------

let browser;

async function newPage(user) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.authenticate({ username: user, password: 'secret' });
  await page.setViewport({ width: 1400, height: 900 });
  return page;
}

// Navigate within the page and wait until that view has rendered.
async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(() => document.querySelector('main').dataset.view === location.hash);
}

// Wait until the element exists and its text contains `want`.
async function waitText(page, sel, want, timeout = 10000) {
  try {
    await page.waitForFunction((s, w) => {
      const el = document.querySelector(s);
      return el && el.textContent.includes(w);
    }, { timeout }, sel, want);
  } catch (e) {
    const got = await page.$eval(sel, (el) => el.textContent).catch(() => '(no element)');
    throw new Error(`${sel} should contain ${JSON.stringify(want)}; it has ${JSON.stringify(got.slice(0, 300))}`);
  }
}

const textOf = (page, sel) => page.$eval(sel, (el) => el.textContent);
const exists = async (page, sel) => (await page.$(sel)) !== null;

async function confirm(page, typed) {
  await page.waitForSelector('#confirm[open]');
  if (typed) await page.type('#confirm-input', typed);
  await page.click('#confirm-ok');
  await page.waitForFunction(() => !document.querySelector('#confirm').open);
}

// ---- the tests ---------------------------------------------------------------

run('ui', async () => {
  await test('seed: schemas with history by two users (wendy, alice), references, a soft-deleted subject, 58 live subjects', seed);

  const profile = fs.mkdtempSync(path.join(WORK, 'chrome-'));
  browser = await puppeteer.launch({
    executablePath: process.env.BROWSER,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  const admin = await newPage('alice');
  let uiResponse;

  await test('a browser opening / is redirected to /ui/; the page and its files carry CSP default-src \'self\', an ETag and no-cache', async () => {
    uiResponse = await admin.goto(BASE + '/', { waitUntil: 'networkidle0' });
    assert.strictEqual(new URL(admin.url()).pathname, '/ui/');
    const hd = uiResponse.headers();
    assert.match(hd['content-security-policy'], /default-src 'self'/);
    assert.ok(hd.etag, 'ETag');
    assert.strictEqual(hd['cache-control'], 'no-cache');
    assert.match(hd['content-type'], /^text\/html/);
    // An API client asking for / still gets {}.
    const r = await fetch(BASE + '/', { headers: { Authorization: auth('rita') } });
    assert.strictEqual(await r.text(), '{}');
    // A revalidation is a 304.
    const again = await fetch(BASE + '/ui/app.js', { headers: { Authorization: auth('rita'), 'If-None-Match': (await fetch(BASE + '/ui/app.js', { headers: { Authorization: auth('rita') } })).headers.get('etag') } });
    assert.strictEqual(again.status, 304);
  });

  await test('without credentials the UI is 401 with a Basic challenge', async () => {
    const r = await fetch(BASE + '/ui/');
    assert.strictEqual(r.status, 401);
    assert.match(r.headers.get('www-authenticate'), /^Basic/);
  });

  await test('whoami: the header shows alice (admin)', async () => {
    await waitText(admin, '#whoami', 'alice (admin)');
  });

  await test('subjects: one page of 50 with latest version, compatibility; Next shows the rest', async () => {
    await admin.waitForSelector('#subjects tbody tr');
    const rows = await admin.$$eval('#subjects tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.strictEqual(rows.length, 50);
    assert.deepStrictEqual(rows[0].slice(0, 2), ['address-value', '1']);
    assert.strictEqual(rows[0][3], 'FULL_TRANSITIVE');
    await waitText(admin, '.pager span', '1–50 of 58');
    const [next] = await admin.$$('xpath/.//button[contains(., "Next")]');
    await next.click();
    await waitText(admin, '.pager span', '51–58 of 58');
    const rest = await admin.$$eval('#subjects tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const names = rest.map((r) => r[0]);
    const orders = rest.find((r) => r[0] === 'orders-value');
    assert.deepStrictEqual([orders[1], orders[3]], ['3', 'FULL_TRANSITIVE']);
    assert.ok(names.includes('shipment-value'), names.join(','));
  });

  await test('search by name, with the keyboard: type into the box and press Enter', async () => {
    await go(admin, '#/subjects');
    await admin.waitForSelector('#search');
    await admin.focus('#search');
    await admin.keyboard.type('SHIP');
    await admin.keyboard.press('Enter');
    await waitText(admin, '.pager span', 'of 1');
    assert.strictEqual(await textOf(admin, '#subjects tbody tr td:first-child'), 'shipment-value');
  });

  await test('search by schema id and by GUID', async () => {
    const addr = await call('rita', 'GET', '/subjects/address-value/versions/1');
    await go(admin, '#/subjects');
    await admin.waitForSelector('#search');
    await admin.$eval('#search', (el) => { el.value = ''; });
    await admin.type('#search', String(addr.id));
    await admin.select('#search-by', 'id');
    await admin.click('form[role=search] button[type=submit]');
    await waitText(admin, '#subjects tbody', 'address-value');
    await waitText(admin, '.pager span', 'of 1');
    await admin.$eval('#search', (el) => { el.value = ''; });
    const ship = await call('rita', 'GET', '/subjects/shipment-value/versions/1');
    await admin.type('#search', ship.guid);
    await admin.select('#search-by', 'guid');
    await admin.click('form[role=search] button[type=submit]');
    await waitText(admin, '#subjects tbody', 'shipment-value');
    await waitText(admin, '.pager span', 'of 1');
  });

  await test('the soft-deleted toggle shows old-value, marked soft-deleted', async () => {
    await go(admin, '#/subjects?q=old');
    await waitText(admin, '#subjects tbody', 'No subject matches');
    await admin.click('#show-deleted');
    await waitText(admin, '#subjects tbody', 'old-value');
    await waitText(admin, '#subjects tbody', 'soft-deleted');
  });

  await test('a subject: versions with id, date, git author and commit; the audit history lists its commits', async () => {
    await go(admin, '#/subject/orders-value');
    await admin.waitForSelector('#versions tbody tr');
    const rows = await admin.$$eval('#versions tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.strictEqual(rows.length, 3);
    assert.deepStrictEqual(rows.map((r) => r[0]), ['1', '2', '3']);
    assert.deepStrictEqual(rows.map((r) => r[3]), ['wendy', 'alice', 'alice']);
    assert.match(rows[0][2], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.match(rows[0][4], /^[0-9a-f]{10}$/);
    await waitText(admin, '#history', 'register orders-value v1');
    const hist = await admin.$$eval('#history li', (lis) => lis.map((li) => li.textContent));
    assert.ok(hist.length >= 5, hist.join('\n'));           // 3 registrations, 2 config changes
    assert.match(hist[hist.length - 1], /register orders-value v1 .* — wendy/);
    assert.match(hist[0], /config orders-value/);
  });

  await test('a schema: pretty, canonical and resolved views; references and referenced-by', async () => {
    await go(admin, '#/schema/shipment-value/1');
    await waitText(admin, '#schema-text', '"name": "Shipment"');
    await waitText(admin, '#references', 'address-value version 1');
    await admin.click('#tab-canonical');
    await waitText(admin, '#schema-text', '{"name":"com.example.Shipment","type":"record"');
    await admin.click('#tab-resolved');
    await waitText(admin, '#schema-text', '"street"');
    await go(admin, '#/schema/address-value/1');
    await waitText(admin, '#referenced-by', 'shipment-value version 1');
  });

  await test('a schema: Copy puts the text on the clipboard, Download saves a file', async () => {
    const dl = fs.mkdtempSync(path.join(WORK, 'dl-'));
    const cdp = await admin.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl,
      browserContextId: admin.browserContext().id });
    await go(admin, '#/schema/orders-value/2');
    await waitText(admin, '#schema-text', '"note"');
    await admin.click('#copy');
    await waitText(admin, '#status', 'Copied');
    await admin.click('#download');
    const file = path.join(dl, 'orders-value-v2.pretty.avsc');
    for (let i = 0; i < 50 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.existsSync(file), `downloaded ${fs.readdirSync(dl).join(',')}`);
    assert.match(fs.readFileSync(file, 'utf8'), /"name": "note"/);
  });

  await test('diff of versions 2 and 3, side by side: FIELD_REMOVED shown at the removed field\'s line of version 2', async () => {
    await go(admin, '#/subject/orders-value');
    await admin.waitForSelector('#diff-form');
    await admin.select('#diff-from', '2');
    await admin.select('#diff-to', '3');
    await admin.click('#diff-form button[type=submit]');
    await waitText(admin, '#verdict', 'not compatible');
    const oldLines = await admin.$$eval('#diff-old li[data-line]', (lis) => lis.map((li) => ({
      n: Number(li.dataset.line), text: li.textContent, finding: li.classList.contains('finding'),
      note: li.nextElementSibling && li.nextElementSibling.classList.contains('note-row') ? li.nextElementSibling.textContent : '',
    })));
    const noteLine = oldLines.find((l) => l.text.includes('"note"'));
    assert.ok(noteLine, 'version 2 has the note field');
    assert.ok(noteLine.finding, `line ${noteLine.n} is marked`);
    assert.match(noteLine.note, /FIELD_REMOVED: field `note` was removed/);
    assert.deepStrictEqual(oldLines.filter((l) => l.finding).map((l) => l.n), [noteLine.n]);
    // The right side shows version 3's added line, and the finding list names the line.
    assert.ok(await exists(admin, '#diff-new li.add'));
    await waitText(admin, '#findings', `(line ${noteLine.n} of version 2)`);
    const shot = process.env.UI_SCREENSHOT;
    if (shot) {
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await admin.screenshot({ path: shot, fullPage: true });
    }
  });

  const candidateBad = [
    '{',
    '  "type": "record",',
    '  "name": "Order",',
    '  "fields": [',
    '    {"name": "id", "type": "long"},',
    '    {"name": "amount", "type": "double"},',
    '    {"name": "currency", "type": "string", "default": "EUR"},',
    '    {"name": "note", "type": "string", "default": ""},',
    '    {"name": "priority", "type": "int"}',
    '  ]',
    '}'].join('\n');

  await test('test a pasted candidate: REQUIRED_FIELD_ADDED shown under line 9, where the field is', async () => {
    await go(admin, '#/test/orders-value');
    await admin.waitForSelector('#candidate');
    await admin.$eval('#candidate', (el, v) => { el.value = v; }, candidateBad);
    await admin.click('#check');
    await waitText(admin, '#check-result', 'Not compatible');
    const marked = await admin.$$eval('#check-result li.finding', (lis) => lis.map((li) => Number(li.dataset.line)));
    assert.deepStrictEqual(marked, [9]);
    const note = await admin.$eval('#cand-line-9', (li) => li.nextElementSibling.textContent);
    assert.match(note, /REQUIRED_FIELD_ADDED/);
  });

  await test('a candidate that is not JSON: the error is shown at its line', async () => {
    await admin.$eval('#candidate', (el) => { el.value = '{\n  "type": "record",\n  "name": "Order",\n  "fields": [}\n}'; });
    await admin.click('#check');
    await waitText(admin, '#check-result', 'Invalid schema');
    const marked = await admin.$$eval('#check-result li.finding', (lis) => lis.map((li) => Number(li.dataset.line)));
    assert.deepStrictEqual(marked, [4]);
  });

  await test('register a compatible candidate: version 4 appears in the subject', async () => {
    const good = candidateBad.replace('"priority", "type": "int"}', '"priority", "type": "int", "default": 0}');
    await admin.$eval('#candidate', (el, v) => { el.value = v; }, good);
    await admin.click('#check');
    await waitText(admin, '#check-result', 'Compatible');
    await admin.click('#register');
    await waitText(admin, '#status', 'Registered orders-value version 4');
    await waitText(admin, '#versions tbody', 'alice');
    const versions = await admin.$$eval('#versions tbody tr', (trs) => trs.map((tr) => tr.dataset.version));
    assert.deepStrictEqual(versions, ['1', '2', '3', '4']);
  });

  await test('config: the level, rules and lint policy are shown and changed', async () => {
    await waitText(admin, '#config-current', 'FULL_TRANSITIVE');
    await admin.select('#config-level', 'BACKWARD');
    await admin.select('#config-rules', 'avro');
    await admin.select('#config-lint', 'warn');
    await admin.click('#config-form button[type=submit]');
    await waitText(admin, '#config-current', 'Level BACKWARD, rules avro, lint policy warn');
    const cfg = await call('rita', 'GET', '/config/orders-value');
    assert.strictEqual(cfg.compatibilityLevel, 'BACKWARD');
    assert.strictEqual(cfg['regit.rules'], 'avro');
    assert.strictEqual(cfg['regit.lint'], 'warn');
    // The subjects list shows each subject's lint policy.
    await go(admin, '#/subjects?q=orders-value');
    await waitText(admin, '#subjects', 'Lint policy');
    const rows = await admin.$$eval('#subjects tbody tr', (trs) => trs.map((tr) =>
      Array.from(tr.cells).map((td) => td.textContent.trim())));
    const orders = rows.find((r) => r[0] === 'orders-value');
    assert.ok(orders, `orders-value listed: ${JSON.stringify(rows)}`);
    assert.strictEqual(orders[4], 'warn', JSON.stringify(rows));
    await go(admin, '#/subject/orders-value');
    await waitText(admin, '#config-current', 'lint policy warn');
  });

  await test('mode: changed after a confirmation, cancel changes nothing', async () => {
    await admin.select('#mode-select', 'READONLY');
    await admin.click('#mode-form button[type=submit]');
    await admin.waitForSelector('#confirm[open]');
    await admin.click('#confirm-cancel');
    assert.strictEqual((await call('rita', 'GET', '/mode/orders-value?defaultToGlobal=true')).mode, 'READWRITE');
    await admin.click('#mode-form button[type=submit]');
    await confirm(admin);
    await waitText(admin, '#mode-current', 'READONLY');
    await admin.select('#mode-select', 'READWRITE');
    await admin.click('#mode-form button[type=submit]');
    await confirm(admin);
    await waitText(admin, '#mode-current', 'READWRITE');
  });

  await test('soft delete, then permanent delete (typing the subject name) of version 4', async () => {
    await admin.waitForSelector('tr[data-version="4"] .soft-delete');
    await admin.click('tr[data-version="4"] .soft-delete');
    await confirm(admin);
    await waitText(admin, 'tr[data-version="4"]', 'soft-deleted');
    await admin.click('tr[data-version="4"] .hard-delete');
    await admin.waitForSelector('#confirm[open]');
    await admin.click('#confirm-ok');                // without the name: refused
    assert.ok(await admin.$eval('#confirm', (d) => d.open), 'the dialog stays open');
    await admin.type('#confirm-input', 'orders-value');
    await admin.click('#confirm-ok');
    await waitText(admin, '#status', 'permanently deleted');
    await admin.waitForFunction(() => !document.querySelector('tr[data-version="4"]'));
    const vs = await call('rita', 'GET', '/subjects/orders-value/versions?deleted=true');
    assert.deepStrictEqual(vs, [1, 2, 3]);
  });

  await test('health: store ok, counts and metrics at a glance', async () => {
    await go(admin, '#/health');
    await waitText(admin, '#store-state', 'valid and served');
    await waitText(admin, '#metrics', 'Subjects');
    const cards = await admin.$$eval('#metrics .card', (cs) => Object.fromEntries(cs.map((c) => [c.children[0].textContent, c.children[1].textContent])));
    assert.strictEqual(cards.Subjects, '59');   // 58 live, old-value soft-deleted
    assert.ok(Number(cards['Commits by this server']) >= 66, JSON.stringify(cards));
    await waitText(admin, '#rejected', 'No push has been refused');
    assert.ok(Number(cards['HTTP requests']) > 0);
    assert.strictEqual(cards.Store, 'ok');
    assert.strictEqual(cards['Disk full'], 'no');   // regit_store_disk_full 0
    assert.strictEqual(await admin.$('#degraded-reasons'), null);
    assert.strictEqual(await admin.$('#upstream-state'), null, 'no Upstream section without --upstream');
  });

  // A full disk needs a real one (tests/integration/disk_full.sh, root and
  // a tmpfs); the other degraded state, a credentials file that cannot be
  // reloaded, is made here: the previous credentials stay in force.
  await test('health: a credentials file that cannot be reloaded shows degraded, with its reason', async () => {
    const creds = path.join(WORK, 'creds');
    const good = fs.readFileSync(creds);
    const healthStatus = async () => {
      const r = await fetch(BASE + '/health', { headers: { Authorization: auth('rita') } });
      return (await r.json()).status;
    };
    fs.appendFileSync(creds, 'mallory:boss:nothash\n');
    let st = '';
    for (let i = 0; i < 40 && st !== 'degraded'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      st = await healthStatus();
    }
    try {
      assert.strictEqual(st, 'degraded', '/health turned degraded');
      await go(admin, '#/subjects');
      await go(admin, '#/health');
      await waitText(admin, '#store-state', 'Degraded');
      await waitText(admin, '#degraded-auth', 'could not be reloaded');
      assert.strictEqual(await admin.$eval('#store-state', (e) => e.className), 'verdict warn');
      const cards = await admin.$$eval('#metrics .card', (cs) => Object.fromEntries(cs.map((c) => [c.children[0].textContent, c.children[1].textContent])));
      assert.strictEqual(cards.Store, 'degraded');
    } finally {
      fs.writeFileSync(creds, good);
    }
    for (let i = 0; i < 40 && st !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      st = await healthStatus();
    }
    assert.strictEqual(st, 'ok', '/health is ok again');
    await go(admin, '#/subjects');
    await go(admin, '#/health');
    await waitText(admin, '#store-state', 'valid and served');
  });

  await test('health: a pushed incompatible version is refused and shown as the last rejected push, with its findings', async () => {
    const wt = path.join(WORK, 'clone');
    const git = (...a) => execFileSync('git', a, { cwd: wt, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    execFileSync('git', ['clone', '-q', STORE, wt]);
    git('config', 'user.email', 'mallory@example.com');
    git('config', 'user.name', 'mallory');
    fs.writeFileSync(path.join(wt, 'subjects/orders-value/v5.avsc'),
      JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] }, null, 2) + '\n');
    fs.writeFileSync(path.join(wt, 'subjects/orders-value/v5.json'),
      JSON.stringify({ subject: 'orders-value', version: 5, id: 900, deleted: false, ts: 1 }) + '\n');
    git('add', '-A');
    git('commit', '-qm', 'push an incompatible orders-value v5');
    // The store's pre-receive hook would refuse this push in the pusher's
    // terminal; it is bypassed, as a push straight into the repository
    // would, so that the server's own check is what the panel shows.
    git('push', '-q', '--receive-pack=git -c core.hooksPath=/dev/null receive-pack', 'origin', 'HEAD:main');
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await fetch(BASE + '/health', { headers: { Authorization: auth('rita') } });
      ok = r.status === 503;
    }
    assert.ok(ok, '/health turned 503');
    await go(admin, '#/subjects');
    await go(admin, '#/health');
    await waitText(admin, '#store-state', 'refused');
    await waitText(admin, '#rejected', 'orders-value');
    await waitText(admin, '#rejected', 'Version 5');
    await waitText(admin, '#rejected', 'TYPE_MISMATCH');
    await waitText(admin, '#rejected-head', git('rev-parse', 'HEAD').trim());
    // A valid head replaces it: the store is ok again, the rejection stays listed.
    git('revert', '--no-edit', 'HEAD');
    git('push', '-q', 'origin', 'HEAD:main');
    ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await fetch(BASE + '/health', { headers: { Authorization: auth('rita') } });
      ok = r.status === 200;
    }
    assert.ok(ok, '/health is 200 again');
    await go(admin, '#/subjects');
    await go(admin, '#/health');
    await waitText(admin, '#store-state', 'valid and served');
    await waitText(admin, '#rejected', 'TYPE_MISMATCH');
  });

  await test('no Content-Security-Policy violation or script error in the admin session', async () => {
    assert.deepStrictEqual(admin.consoleErrors.filter((e) => !/status of 40[39]|status of 503/.test(e)), []);
  });

  const reader = await newPage('rita');
  await test('read-only user: no register button, no delete, config or mode controls', async () => {
    await reader.goto(BASE + '/ui/#/test/orders-value', { waitUntil: 'networkidle0' });
    await waitText(reader, '#whoami', 'rita (read)');
    await reader.waitForSelector('#check');
    assert.strictEqual(await exists(reader, '#register'), false);
    await waitText(reader, '#no-register', 'Role read cannot register');
    await go(reader, '#/subject/orders-value');
    await reader.waitForSelector('#versions tbody tr');
    for (const sel of ['#delete-subject', '#hard-delete-subject', '.soft-delete', '.hard-delete', '#config-form', '#mode-form']) {
      assert.strictEqual(await exists(reader, sel), false, sel);
    }
    await go(reader, '#/subjects');
    await reader.waitForSelector('#subjects tbody tr');
    assert.strictEqual(await exists(reader, '#new-subject'), false);
  });

  await test('read-only user: the API still refuses a registration made from the page (403)', async () => {
    const status = await reader.evaluate(async () => (await fetch('/subjects/x-value/versions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ schema: '"string"' }),
    })).status);
    assert.strictEqual(status, 403);
  });

  const writer = await newPage('wendy');
  await test('write user: register and soft delete offered; permanent delete, config and mode not', async () => {
    await writer.goto(BASE + '/ui/#/subject/address-value', { waitUntil: 'networkidle0' });
    await waitText(writer, '#whoami', 'wendy (write)');
    await writer.waitForSelector('#versions tbody tr');
    assert.ok(await exists(writer, '#delete-subject'));
    assert.ok(await exists(writer, '.soft-delete'));
    for (const sel of ['#hard-delete-subject', '#config-form', '#mode-form']) {
      assert.strictEqual(await exists(writer, sel), false, sel);
    }
    await go(writer, '#/test/address-value');
    await writer.waitForSelector('#register');
  });

  await test('write user: a new subject from "Register a new subject", authored by wendy', async () => {
    await go(writer, '#/subjects');
    await writer.click('#new-subject');
    await writer.waitForFunction(() => document.querySelector('main').dataset.view === '#/test');
    await writer.type('#test-subject', 'fresh-value');
    await writer.$eval('#candidate', (el) => { el.value = '{"type": "record", "name": "Fresh", "fields": []}'; });
    await writer.click('#register');
    await waitText(writer, '#status', 'Registered fresh-value version 1');
    await waitText(writer, '#versions tbody', 'wendy');
    await waitText(writer, '#history', 'register fresh-value v1');
  });

  await test('health on a replica (serve --upstream): the Upstream section says up, then unreachable with the reason once its git daemon stops', async () => {
    const rp = await newPage('rita');
    await rp.goto(process.env.REPLICA_URL + '/ui/#/health', { waitUntil: 'networkidle0' });
    await waitText(rp, '#upstream-state', 'Up: this replica follows the shared upstream');
    const cards = await rp.$$eval('#upstream-metrics .card', (cs) => Object.fromEntries(cs.map((c) => [c.children[0].textContent, c.children[1].textContent])));
    for (const k of ['Lag', 'Fetches', 'Failed fetches', 'Pushes', 'Push conflicts', 'Failed pushes', 'Read-repairs']) {
      assert.ok(k in cards, `card ${k}: ${JSON.stringify(cards)}`);
    }
    assert.ok(Number(cards.Fetches) >= 1, JSON.stringify(cards));
    process.kill(Number(process.env.DAEMON_PID), 'SIGTERM');
    const end = Date.now() + 8000;
    while (!(await rp.$('#degraded-upstream')) && Date.now() < end) {
      await go(rp, '#/subjects');
      await new Promise((r) => setTimeout(r, 200));
      await go(rp, '#/health');
    }
    await waitText(rp, '#store-state', 'Degraded');
    await waitText(rp, '#degraded-upstream', 'The upstream is unreachable');
    await waitText(rp, '#upstream-state', 'Unreachable.');
    assert.deepStrictEqual(rp.consoleErrors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  await browser.close();
});
