/*
 * app.js - the regit web UI: one page, hash routes, no framework.
 *
 * Every read and write is a same-origin fetch to the Confluent API or to
 * the /regit/ reads (server/README.md); the browser sends the user's
 * HTTP Basic credentials, so the server decides what is allowed. The UI
 * asks /regit/whoami once and leaves out what the role cannot do. No
 * inline script or style (the server's Content-Security-Policy forbids
 * them), no other host, and every list is fetched one page at a time.
 *
 * Routes:
 *   #/subjects?q=&by=&deleted=&page=   subjects (search by name, id, guid)
 *   #/subject/{s}                       versions, history, config, mode, deletes
 *   #/schema/{s}/{v}                    pretty / canonical / resolved, references
 *   #/diff/{s}/{a}/{b}                  side by side with findings at their lines
 *   #/test[/{s}]                        check a candidate, then register it
 *   #/health                            store state and metrics
 */
'use strict';

(function () {
  const PAGE = 50;
  const REF_MAX = 20;            /* references shown per schema: one request each */
  const LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE',
    'FULL', 'FULL_TRANSITIVE', 'NONE'];
  const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'];
  const JSON_CT = 'application/vnd.schemaregistry.v1+json';
  let me = { user: null, role: 'read', can: {} };
  const main = document.getElementById('main');
  const statusEl = document.getElementById('status');

  /* ---- helpers ------------------------------------------------------------ */

  /* h('a', {href: '#'}, 'text', child...): an element; attributes starting
   * with "on" become listeners. Text is always text, never HTML. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  /* Each navigation has a number; a view whose fetches finish after the
   * user moved on does not overwrite the newer view. */
  let routeGen = 0;
  function showIf(gen, ...nodes) {
    if (gen === routeGen) main.replaceChildren(...nodes);
  }

  /* The status line: an error (role=alert) or a success. A `sticky` one
   * (an action that then navigates) survives the next view; all go away. */
  let sayTimer = null;
  let sticky = false;
  function say(msg, ok, keep) {
    clearTimeout(sayTimer);
    statusEl.textContent = msg;
    statusEl.classList.toggle('ok', !!ok);
    statusEl.hidden = !msg;
    sticky = !!(msg && keep);
    if (msg && ok) sayTimer = setTimeout(() => say(''), 6000);
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || ('HTTP ' + status));
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = JSON_CT;
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    const text = await r.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch (e) { /* Prometheus text */ }
    if (!r.ok && r.status !== 503) throw new ApiError(r.status, data);
    return data;
  }

  const enc = encodeURIComponent;

  function fmtTime(ms) {
    if (!ms) return '';
    const d = new Date(ms);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function subjectLink(s) {
    return h('a', { href: '#/subject/' + enc(s) }, s);
  }

  function pager(offset, count, total, go) {
    const page = Math.floor(offset / PAGE);
    const last = Math.max(0, Math.ceil(total / PAGE) - 1);
    return h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
      h('button', { type: 'button', disabled: page === 0, onclick: () => go(page - 1) }, 'Previous'),
      h('span', {}, total ? `${offset + 1}–${offset + count} of ${total}` : 'none'),
      h('button', { type: 'button', disabled: page >= last, onclick: () => go(page + 1) }, 'Next'));
  }

  /* A confirmation in a modal dialog; `typed` asks for the name to be typed. */
  function confirmDialog(text, typed) {
    const dlg = document.getElementById('confirm');
    const input = document.getElementById('confirm-input');
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-typed').hidden = !typed;
    document.getElementById('confirm-expect').textContent = typed || '';
    input.value = '';
    return new Promise((resolve) => {
      const form = document.getElementById('confirm-form');
      const cancel = document.getElementById('confirm-cancel');
      function done(v) {
        form.removeEventListener('submit', onSubmit);
        cancel.removeEventListener('click', onCancel);
        dlg.removeEventListener('cancel', onCancel);
        dlg.close();
        resolve(v);
      }
      function onSubmit(e) {
        e.preventDefault();
        if (typed && input.value !== typed) {
          input.setCustomValidity('Type the name exactly');
          input.reportValidity();
          return;
        }
        input.setCustomValidity('');
        done(true);
      }
      function onCancel(e) { e.preventDefault(); done(false); }
      form.addEventListener('submit', onSubmit);
      cancel.addEventListener('click', onCancel);
      dlg.addEventListener('cancel', onCancel);
      dlg.showModal();
      (typed ? input : document.getElementById('confirm-ok')).focus();
    });
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const ta = h('textarea', { class: 'sr-only', 'aria-hidden': 'true' });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    say('Copied to the clipboard.', true);
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /* Numbered lines; notes[line] = [finding texts] are shown under the line. */
  function numbered(text, notes, idPrefix) {
    const ol = h('ol', { class: 'lines' });
    text.replace(/\n$/, '').split('\n').forEach((line, i) => {
      const n = i + 1;
      const fs = notes && notes[n];
      ol.append(h('li', { class: fs ? 'finding' : null, id: idPrefix ? `${idPrefix}${n}` : null,
        'data-line': n }, h('span', { class: 'ln', 'aria-hidden': 'true' }, n), line || ' '));
      if (fs) for (const f of fs) ol.append(h('li', { class: 'note-row' }, h('span', { class: 'note' }, f)));
    });
    return ol;
  }

  /* ---- subjects ------------------------------------------------------------- */

  async function viewSubjects(params) {
    const mine = routeGen;
    const q = params.get('q') || '';
    const by = params.get('by') || 'name';
    const deleted = params.get('deleted') === 'true';
    const page = Math.max(0, parseInt(params.get('page') || '0', 10) || 0);
    const go = (p, over) => {
      const o = Object.assign({ q, by, deleted: deleted ? 'true' : '', page: String(p) }, over || {});
      const sp = new URLSearchParams();
      for (const [k, v] of Object.entries(o)) if (v && v !== '0') sp.set(k, v);
      location.hash = '#/subjects' + (sp.toString() ? '?' + sp : '');
    };
    const qIn = h('input', { id: 'search', type: 'search', name: 'q', value: q, size: 40,
      placeholder: 'orders-value, 17 or a GUID' });
    const bySel = h('select', { id: 'search-by', name: 'by' },
      ['name', 'id', 'guid'].map((v) => h('option', { value: v, selected: v === by },
        v === 'name' ? 'subject name' : v === 'id' ? 'schema id' : 'schema GUID')));
    const delIn = h('input', { id: 'show-deleted', type: 'checkbox', checked: deleted });
    const form = h('form', { class: 'inline', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      go(0, { q: qIn.value.trim(), by: bySel.value, deleted: delIn.checked ? 'true' : '' });
    } },
    h('div', {}, h('label', { for: 'search' }, 'Search'), h('br'), qIn),
    h('div', {}, h('label', { for: 'search-by' }, 'by'), h('br'), bySel),
    h('div', {}, delIn, ' ', h('label', { for: 'show-deleted' }, 'show soft-deleted subjects')),
    h('button', { type: 'submit' }, 'Search'));
    delIn.addEventListener('change', () => form.requestSubmit());
    const data = await api('GET', `/regit/subjects?q=${enc(q)}&by=${enc(by)}&deleted=${deleted}` +
      `&offset=${page * PAGE}&limit=${PAGE}`);
    const rows = data.subjects.map((s) => h('tr', {},
      h('td', {}, subjectLink(s.name)),
      h('td', { class: 'num' }, s.version ? h('a', { href: `#/schema/${enc(s.name)}/${s.version}` }, s.version) : ''),
      h('td', { class: 'num' }, s.id || ''),
      h('td', {}, s.compatibility || ''),
      h('td', {}, s.lint || 'off'),
      h('td', {}, s.deleted ? h('span', { class: 'tag deleted' }, 'soft-deleted') : '')));
    showIf(mine, h('h1', {}, 'Subjects'), form,
      me.can.register ? h('p', {}, h('a', { href: '#/test', id: 'new-subject' }, 'Register a new subject…')) : null,
      h('table', { id: 'subjects' },
        h('caption', { class: 'sr-only' }, 'Subjects'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Subject'), h('th', { scope: 'col', class: 'num' }, 'Latest version'),
          h('th', { scope: 'col', class: 'num' }, 'Schema id'), h('th', { scope: 'col' }, 'Compatibility'), h('th', { scope: 'col' }, 'Lint policy'),
          h('th', { scope: 'col' }, 'State'))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No subject matches.')))),
      pager(data.offset, data.subjects.length, data.total, (p) => go(p)));
  }

  /* ---- one subject ------------------------------------------------------------ */

  async function viewSubject(subject, params) {
    const mine = routeGen;
    const page = Math.max(0, parseInt(params.get('page') || '0', 10) || 0);
    const [vers, cfg, mode] = await Promise.all([
      api('GET', `/regit/subjects/${enc(subject)}/versions?offset=${page * PAGE}&limit=${PAGE}`),
      api('GET', `/config/${enc(subject)}?defaultToGlobal=true`).catch(() => ({})),
      api('GET', `/mode/${enc(subject)}?defaultToGlobal=true`).catch(() => ({})),
    ]);
    const versionRows = vers.versions.map((v) => h('tr', { 'data-version': v.version },
      h('td', { class: 'num' }, h('a', { href: `#/schema/${enc(subject)}/${v.version}` }, v.version)),
      h('td', { class: 'num' }, v.id),
      h('td', {}, fmtTime(v.ts)),
      h('td', { class: 'author' }, v.author || h('span', { class: 'muted' }, 'unknown')),
      h('td', {}, v.commit ? h('code', { title: v.commit }, v.commit.slice(0, 10)) : ''),
      h('td', {}, v.deleted ? h('span', { class: 'tag deleted' }, 'soft-deleted') : 'live'),
      h('td', {}, versionActions(subject, v))));
    const all = vers.versions.map((v) => v.version);
    const fromSel = h('select', { id: 'diff-from' }, all.map((n, i) => h('option', { value: n, selected: i === all.length - 2 }, n)));
    const toSel = h('select', { id: 'diff-to' }, all.map((n, i) => h('option', { value: n, selected: i === all.length - 1 }, n)));
    const diffForm = h('form', { class: 'inline', id: 'diff-form', onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/diff/${enc(subject)}/${fromSel.value}/${toSel.value}`;
    } },
    h('div', {}, h('label', { for: 'diff-from' }, 'Compare version'), h('br'), fromSel),
    h('div', {}, h('label', { for: 'diff-to' }, 'with version'), h('br'), toSel),
    h('button', { type: 'submit' }, 'Show diff'));
    const history = h('section', { 'aria-labelledby': 'h-history' }, h('h2', { id: 'h-history' }, 'Audit history (git commits)'));
    const histList = h('ol', { id: 'history', class: 'history' });
    history.append(histList);
    const more = h('button', { type: 'button', id: 'history-more', hidden: true }, 'Older commits');
    history.append(more);
    let next = null;
    async function loadHistory() {
      const d = await api('GET', `/regit/subjects/${enc(subject)}/history?limit=20` + (next ? `&from=${next}` : ''));
      for (const c of d.commits) {
        histList.append(h('li', {}, h('strong', {}, c.summary), ' — ', c.author, ' ',
          h('span', { class: 'muted' }, fmtTime(c.time * 1000)), ' ', h('code', { title: c.commit }, c.commit.slice(0, 10))));
      }
      next = d.next;
      more.hidden = !next;
    }
    more.addEventListener('click', () => loadHistory().catch(fail));

    showIf(mine, h('h1', {}, 'Subject ', h('span', { id: 'subject-name' }, subject)),
      h('div', { class: 'toolbar' },
        me.can.register ? h('a', { href: `#/test/${enc(subject)}`, id: 'test-link' }, 'Test or register a new version…')
          : h('a', { href: `#/test/${enc(subject)}`, id: 'test-link' }, 'Test a candidate schema…'),
        me.can.softDelete ? h('button', { type: 'button', id: 'delete-subject', onclick: () => deleteSubject(subject, false) }, 'Soft-delete subject') : null,
        me.can.hardDelete ? h('button', { type: 'button', class: 'danger', id: 'hard-delete-subject', onclick: () => deleteSubject(subject, true) }, 'Permanently delete subject') : null),
      h('h2', {}, 'Versions'),
      h('table', { id: 'versions' },
        h('thead', {}, h('tr', {}, ['Version', 'Schema id', 'Registered', 'Author', 'Commit', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, versionRows)),
      pager(vers.offset, vers.versions.length, vers.total, (p) => { location.hash = `#/subject/${enc(subject)}?page=${p}`; }),
      all.length > 1 ? diffForm : null,
      configSection(subject, cfg),
      modeSection(subject, mode),
      history);
    await loadHistory();
  }

  function versionActions(subject, v) {
    const out = [];
    if (!v.deleted && me.can.softDelete) {
      out.push(h('button', { type: 'button', class: 'soft-delete', onclick: () => deleteVersion(subject, v.version, false) }, 'Soft-delete'));
    }
    if (v.deleted && me.can.hardDelete) {
      out.push(h('button', { type: 'button', class: 'danger hard-delete', onclick: () => deleteVersion(subject, v.version, true) }, 'Delete permanently'));
    }
    return out;
  }

  async function deleteVersion(subject, version, permanent) {
    const ok = await confirmDialog(permanent
      ? `Permanently delete version ${version} of ${subject}? Its files are removed from the store's tree (git history keeps them).`
      : `Soft-delete version ${version} of ${subject}? It stays readable with deleted=true and can be deleted permanently later.`,
    permanent ? subject : null);
    if (!ok) return;
    try {
      await api('DELETE', `/subjects/${enc(subject)}/versions/${version}${permanent ? '?permanent=true' : ''}`);
      say(`Version ${version} ${permanent ? 'permanently deleted' : 'soft-deleted'}.`, true, true);
      route();
    } catch (e) { fail(e); }
  }

  async function deleteSubject(subject, permanent) {
    const ok = await confirmDialog(permanent
      ? `Permanently delete every version of ${subject}? (It must be soft-deleted first.)`
      : `Soft-delete every version of ${subject}?`, subject);
    if (!ok) return;
    try {
      const vs = await api('DELETE', `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}`);
      say(`Subject ${subject}: versions ${vs.join(', ')} ${permanent ? 'permanently deleted' : 'soft-deleted'}.`, true, true);
      location.hash = permanent ? '#/subjects' : `#/subject/${enc(subject)}`;
      route();
    } catch (e) { fail(e); }
  }

  function configSection(subject, cfg) {
    const level = cfg.compatibilityLevel || '';
    const rules = cfg['regit.rules'] || '';
    const lint = cfg['regit.lint'] || '';
    const sec = h('section', { 'aria-labelledby': 'h-config' }, h('h2', { id: 'h-config' }, 'Compatibility'),
      h('p', { id: 'config-current' }, 'Level ', h('strong', {}, level || 'server default'),
        ', rules ', h('strong', {}, rules || 'server default'),
        ', lint policy ', h('strong', {}, lint || 'off'), '.'));
    if (!me.can.config) return sec;
    const lv = h('select', { id: 'config-level' }, LEVELS.map((l) => h('option', { value: l, selected: l === level }, l)));
    const rs = h('select', { id: 'config-rules' }, ['strict', 'avro'].map((r) => h('option', { value: r, selected: r === rules }, r)));
    const li = h('select', { id: 'config-lint' }, ['off', 'warn', 'enforce'].map((p) => h('option', { value: p, selected: p === (lint || 'off') }, p)));
    sec.append(h('form', { class: 'inline', id: 'config-form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('PUT', `/config/${enc(subject)}`, { compatibility: lv.value, 'regit.rules': rs.value, 'regit.lint': li.value });
        say(`Compatibility of ${subject} set to ${lv.value} (${rs.value}, lint ${li.value}).`, true, true);
        route();
      } catch (err) { fail(err); }
    } },
    h('div', {}, h('label', { for: 'config-level' }, 'Level'), h('br'), lv),
    h('div', {}, h('label', { for: 'config-rules' }, 'Rules'), h('br'), rs),
    h('div', {}, h('label', { for: 'config-lint' }, 'Lint policy'), h('br'), li),
    h('button', { type: 'submit' }, 'Save compatibility')));
    return sec;
  }

  function modeSection(subject, mode) {
    const cur = mode.mode || 'READWRITE';
    const sec = h('section', { 'aria-labelledby': 'h-mode' }, h('h2', { id: 'h-mode' }, 'Mode'),
      h('p', { id: 'mode-current' }, 'Mode ', h('strong', {}, cur), '.'));
    if (!me.can.mode) return sec;
    const sel = h('select', { id: 'mode-select' }, MODES.map((m) => h('option', { value: m, selected: m === cur }, m)));
    sec.append(h('form', { class: 'inline', id: 'mode-form', onsubmit: async (e) => {
      e.preventDefault();
      const ok = await confirmDialog(`Set the mode of ${subject} to ${sel.value}?` +
        (sel.value === 'READONLY' ? ' Registrations and deletes will be refused.' : ''));
      if (!ok) return;
      try {
        await api('PUT', `/mode/${enc(subject)}`, { mode: sel.value });
        say(`Mode of ${subject} set to ${sel.value}.`, true, true);
        route();
      } catch (err) { fail(err); }
    } },
    h('div', {}, h('label', { for: 'mode-select' }, 'Mode'), h('br'), sel),
    h('button', { type: 'submit' }, 'Change mode')));
    return sec;
  }

  /* ---- a schema ---------------------------------------------------------------- */

  async function viewSchema(subject, version) {
    const mine = routeGen;
    const ver = await api('GET', `/subjects/${enc(subject)}/versions/${version}?deleted=true`);
    const [refby, idVersions] = await Promise.all([
      api('GET', `/subjects/${enc(subject)}/versions/${version}/referencedby?deleted=true&limit=${REF_MAX + 1}`).catch(() => []),
      api('GET', `/schemas/ids/${ver.id}/versions?deleted=true&limit=${REF_MAX + 1}`).catch(() => []),
    ]);
    const pre = h('pre', { class: 'code', id: 'schema-text', tabindex: '0', 'aria-label': 'Schema text' });
    let current = { style: 'pretty', text: '' };
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Schema view' });
    const styles = [['pretty', 'Pretty'], ['canonical', 'Canonical'], ['resolved', 'Resolved (references inlined)']];
    async function select(style) {
      for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.style === style));
      const d = await api('GET', `/regit/subjects/${enc(subject)}/versions/${version}/text?style=${style}`);
      current = { style, text: d.schema };
      pre.textContent = d.schema;
    }
    for (const [s, label] of styles) {
      tabs.append(h('button', { type: 'button', role: 'tab', id: `tab-${s}`, 'data-style': s,
        onclick: () => select(s).catch(fail) }, label));
    }
    const refsOut = (ver.references || []).map((r) => h('li', {}, r.name, ' → ',
      h('a', { href: `#/schema/${enc(r.subject)}/${r.version}` }, `${r.subject} version ${r.version}`)));
    const refByOut = [];
    for (const id of refby.slice(0, REF_MAX)) {
      const users = await api('GET', `/schemas/ids/${id}/versions?deleted=true&limit=${REF_MAX}`).catch(() => []);
      for (const u of users) {
        refByOut.push(h('li', {}, h('a', { href: `#/schema/${enc(u.subject)}/${u.version}` },
          `${u.subject} version ${u.version}`), ` (schema id ${id})`));
      }
    }
    if (refby.length > REF_MAX) refByOut.push(h('li', { class: 'muted' }, `… and more (the first ${REF_MAX} schema ids are shown)`));
    const sameId = idVersions.slice(0, REF_MAX).filter((u) => !(u.subject === subject && u.version === ver.version))
      .map((u) => h('li', {}, h('a', { href: `#/schema/${enc(u.subject)}/${u.version}` }, `${u.subject} version ${u.version}`)));
    showIf(mine, h('h1', {}, subjectLink(subject), ` version ${ver.version}`),
      h('p', {}, `Schema id ${ver.id}`, ver.guid ? `, GUID ${ver.guid}` : '',
        ver.deleted ? ' — ' : '', ver.deleted ? h('span', { class: 'tag deleted' }, 'soft-deleted') : ''),
      tabs,
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', id: 'copy', onclick: () => copyText(current.text) }, 'Copy'),
        h('button', { type: 'button', id: 'download', onclick: () => download(`${subject}-v${ver.version}.${current.style}.avsc`, current.text) }, 'Download')),
      pre,
      h('h2', {}, 'References'),
      refsOut.length ? h('ul', { id: 'references' }, refsOut) : h('p', { class: 'muted', id: 'references' }, 'This schema references no other schema.'),
      h('h2', {}, 'Referenced by'),
      refByOut.length ? h('ul', { id: 'referenced-by' }, refByOut) : h('p', { class: 'muted', id: 'referenced-by' }, 'No schema references this version.'),
      sameId.length ? h('h2', {}, 'Same schema elsewhere') : null,
      sameId.length ? h('ul', {}, sameId) : null);
    await select('pretty');
  }

  /* ---- diff ------------------------------------------------------------------------ */

  /* Line alignment by longest common subsequence (bounded; beyond it the
   * lines are paired in order). Returns rows of [leftIndex|null, rightIndex|null]. */
  function align(a, b) {
    const n = a.length, m = b.length;
    if (n * m > 4000000) {
      const rows = [];
      for (let i = 0; i < Math.max(n, m); i++) rows.push([i < n ? i : null, i < m ? i : null]);
      return rows;
    }
    const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
      }
    }
    const raw = [];
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) { raw.push([i++, j++]); continue; }
      if (i < n && (j >= m || dp[i + 1][j] >= dp[i][j + 1])) raw.push([i++, null]);
      else raw.push([null, j++]);
    }
    /* A run of removed lines next to a run of added ones: side by side. */
    const rows = [];
    for (let k = 0; k < raw.length;) {
      if (raw[k][1] !== null) { rows.push(raw[k++]); continue; }
      const dels = [], adds = [];
      while (k < raw.length && raw[k][1] === null) dels.push(raw[k++][0]);
      while (k < raw.length && raw[k][0] === null) adds.push(raw[k++][1]);
      for (let t = 0; t < Math.max(dels.length, adds.length); t++) {
        rows.push([t < dels.length ? dels[t] : null, t < adds.length ? adds[t] : null, true]);
      }
    }
    return rows;
  }

  async function viewDiff(subject, from, to) {
    const mine = routeGen;
    const d = await api('GET', `/regit/subjects/${enc(subject)}/diff?from=${enc(from)}&to=${enc(to)}`);
    const a = d.old.schema.replace(/\n$/, '').split('\n');
    const b = d.new.schema.replace(/\n$/, '').split('\n');
    const notesNew = {}, notesOld = {};
    d.findings.forEach((f, k) => {
      const text = `${f.rule}: ${f.message}`;
      if (f.line) (notesNew[f.line] = notesNew[f.line] || []).push({ k, text });
      if (f.oldLine) (notesOld[f.oldLine] = notesOld[f.oldLine] || []).push({ k, text });
    });
    const left = h('ol', { class: 'lines', id: 'diff-old' });
    const right = h('ol', { class: 'lines', id: 'diff-new' });
    for (const [i, j, changed] of align(a, b)) {
      addLine(left, i, a, changed ? 'del' : null, notesOld, 'old-line-');
      addLine(right, j, b, changed ? 'add' : null, notesNew, 'new-line-');
      /* Keep both sides level: the other side's notes, invisible. */
      const nl = i !== null && notesOld[i + 1] ? notesOld[i + 1] : [];
      const nr = j !== null && notesNew[j + 1] ? notesNew[j + 1] : [];
      for (let k = nl.length; k < nr.length; k++) left.append(h('li', { class: 'note-row ghost', 'aria-hidden': 'true' }, h('span', { class: 'note' }, nr[k].text)));
      for (let k = nr.length; k < nl.length; k++) right.append(h('li', { class: 'note-row ghost', 'aria-hidden': 'true' }, h('span', { class: 'note' }, nl[k].text)));
    }
    const verdict = d.compatible
      ? h('p', { class: 'verdict good', id: 'verdict' }, `Version ${d.new.version} is compatible with version ${d.old.version} (${d.level}, ${d.rules} rules).`)
      : h('p', { class: 'verdict bad', id: 'verdict' }, `Version ${d.new.version} is not compatible with version ${d.old.version} (${d.level}, ${d.rules} rules): ${d.findings.length} finding(s).`);
    const list = h('ol', { class: 'findings', id: 'findings' }, d.findings.map((f) => h('li', {},
      h('strong', {}, f.rule), ` at line ${f.line}`, f.oldLine ? ` (line ${f.oldLine} of version ${d.old.version})` : '', ': ', f.message, ' ',
      f.line ? h('a', { href: '#', onclick: (e) => { e.preventDefault(); const el = document.getElementById('new-line-' + f.line); if (el) { el.scrollIntoView(); } } }, 'show') : '')));
    showIf(mine, h('h1', {}, 'Diff of ', subjectLink(subject), `: version ${d.old.version} → ${d.new.version}`),
      verdict,
      h('div', { class: 'diff', id: 'diff' },
        h('div', { class: 'side' }, h('h3', {}, `Version ${d.old.version} (id ${d.old.id})`), left),
        h('div', { class: 'side' }, h('h3', {}, `Version ${d.new.version} (id ${d.new.id})`), right)),
      d.findings.length ? h('h2', {}, 'Findings') : null,
      d.findings.length ? list : null);
  }

  function addLine(ol, idx, lines, cls, notes, prefix) {
    if (idx === null) {
      ol.append(h('li', { class: 'pad', 'aria-hidden': 'true' }, h('span', { class: 'ln' }, ''), ' '));
      return;
    }
    const n = idx + 1;
    const fs = notes[n];
    const classes = [cls, fs ? 'finding' : null].filter(Boolean).join(' ');
    ol.append(h('li', { class: classes || null, id: prefix + n, 'data-line': n },
      h('span', { class: 'ln', 'aria-hidden': 'true' }, n), lines[idx] || ' ',
      cls === 'add' ? h('span', { class: 'sr-only' }, ' (added)') : null,
      cls === 'del' ? h('span', { class: 'sr-only' }, ' (removed)') : null));
    if (fs) for (const f of fs) ol.append(h('li', { class: 'note-row', 'data-finding-line': n }, h('span', { class: 'note' }, f.text)));
  }

  /* ---- test and register ------------------------------------------------------------- */

  async function viewTest(subject) {
    const mine = routeGen;
    const subjIn = h('input', { id: 'test-subject', value: subject || '', size: 50, required: true });
    const ta = h('textarea', { id: 'candidate', spellcheck: 'false', 'aria-describedby': 'candidate-help' });
    if (subject) {
      try {
        const d = await api('GET', `/regit/subjects/${enc(subject)}/versions/latest/text?style=pretty`);
        ta.value = d.schema;
      } catch (e) { /* a new subject */ }
    }
    const out = h('div', { id: 'check-result', 'aria-live': 'polite' });
    async function check() {
      const s = subjIn.value.trim();
      if (!s) { subjIn.reportValidity(); return null; }
      const d = await api('POST', `/regit/compatibility/subjects/${enc(s)}`, { schema: ta.value });
      const notes = {};
      let verdict;
      if (d.error) {
        if (d.error.line) notes[d.error.line] = [d.error.message];
        verdict = h('p', { class: 'verdict bad' }, `Invalid schema: ${d.error.message}` + (d.error.line ? ` (line ${d.error.line})` : ''));
      } else {
        for (const f of d.findings) (notes[f.line] = notes[f.line] || []).push(`${f.rule} (against version ${f.oldVersion}): ${f.message}`);
        verdict = d.compatible
          ? h('p', { class: 'verdict good' }, `Compatible (${d.level}, ${d.rules} rules).`)
          : h('p', { class: 'verdict bad' }, `Not compatible (${d.level}, ${d.rules} rules): ${d.findings.length} finding(s).`);
      }
      out.replaceChildren(verdict, numbered(ta.value, notes, 'cand-line-'));
      return d;
    }
    const checkBtn = h('button', { type: 'button', id: 'check', onclick: () => check().catch(fail) }, 'Check compatibility');
    const regBtn = me.can.register ? h('button', { type: 'button', class: 'primary', id: 'register', onclick: async () => {
      const s = subjIn.value.trim();
      if (!s) { subjIn.reportValidity(); return; }
      try {
        const r = await api('POST', `/subjects/${enc(s)}/versions`, { schema: ta.value });
        say(`Registered ${s} version ${r.version} (schema id ${r.id}).`, true, true);
        location.hash = `#/subject/${enc(s)}`;
      } catch (e) {
        fail(e);
        check().catch(() => {});
      }
    } }, 'Register') : null;
    showIf(mine, h('h1', {}, 'Test a schema', subject ? ' against ' : '', subject ? subjectLink(subject) : ''),
      h('div', {}, h('label', { for: 'test-subject' }, 'Subject'), h('br'), subjIn),
      h('p', {}, h('label', { for: 'candidate' }, 'Candidate schema (Avro JSON)')),
      ta,
      h('p', { id: 'candidate-help', class: 'muted' }, 'Each finding is shown under the line it points to.'),
      h('div', { class: 'toolbar' }, checkBtn, regBtn,
        me.can.register ? null : h('span', { class: 'muted', id: 'no-register' }, `Role ${me.role} cannot register.`)),
      out);
  }

  /* ---- health ---------------------------------------------------------------------------- */

  function metric(text, name) {
    let sum = 0, seen = false;
    for (const line of String(text).split('\n')) {
      if (line.startsWith('#')) continue;
      const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/);
      if (m && m[1] === name) { sum += Number(m[3]); seen = true; }
    }
    return seen ? sum : null;
  }

  async function viewHealth() {
    const mine = routeGen;
    const [health, metrics] = await Promise.all([api('GET', '/regit/health'), api('GET', '/metrics')]);
    /* ok, degraded (served, but the credentials file could not be
     * reloaded, the last write found the disk full or the upstream is
     * unreachable: the reasons in `auth`, `store` and `upstream`),
     * upstream-refused or invalid (the head was refused). */
    const ok = health.status === 'ok', degraded = health.status === 'degraded';
    const last = health.lastRejection;
    const diskFull = metric(metrics, 'regit_store_disk_full');
    const cards = [
      ['Store', health.status],
      ['Subjects', health.subjects], ['Schemas', health.schemas], ['Versions', health.versions],
      ['Commits by this server', health.commits],
      ['Registrations refused (incompatible)', health.compatRejections],
      ['Pushes refused', health.storeRejections],
      ['HTTP requests', metric(metrics, 'regit_http_requests_total')],
      ['Disk full', diskFull === null ? null : diskFull ? 'yes' : 'no'],
    ];
    const reasons = [];
    if (health.store) {
      reasons.push(h('li', { id: 'degraded-store' }, health.store,
        health.diskFullSince ? ` (since ${fmtTime(health.diskFullSince * 1000)}; writes resume once space is freed)` : ''));
    }
    const up = health.upstream;
    if (up && up.state !== 'ok') {
      reasons.push(h('li', { id: 'degraded-upstream' }, up.state === 'refused'
        ? 'The upstream\'s head was refused (it drops or rewrites what this replica served); this replica keeps serving its state and refuses writes: '
        : up.state === 'unauthorized'
          ? 'The upstream refuses this replica\'s credentials; reads are served from this replica, writes fail until the credentials are fixed: '
          : 'The upstream is unreachable; reads are served from this replica, writes fail until it is back: ',
      up.message || up.state));
    }
    if (health.auth) {
      reasons.push(h('li', { id: 'degraded-auth' },
        'The credentials file could not be reloaded; the previous credentials stay in force: ', health.auth));
    }
    showIf(mine, h('h1', {}, 'Health'),
      h('p', { id: 'store-state', class: ok ? 'verdict good' : degraded ? 'verdict warn' : 'verdict bad' },
        ok ? 'The store is valid and served.'
          : degraded ? 'Degraded: the store is served, but:'
            : health.status === 'upstream-refused' ? 'The upstream\'s head was refused; this replica serves its last good state:'
              : 'The store\'s head was refused; the previous state is served.'),
      reasons.length ? h('ul', { id: 'degraded-reasons' }, reasons) : null,
      h('p', {}, 'Served head ', h('code', { id: 'store-head' }, health.head || '(empty)')),
      up ? h('section', { 'aria-labelledby': 'h-upstream' }, h('h2', { id: 'h-upstream' }, 'Upstream'),
        h('p', { id: 'upstream-state', class: up.state === 'ok' ? 'verdict good' : up.state === 'refused' ? 'verdict bad' : 'verdict warn' },
          up.state === 'ok' ? 'Up: this replica follows the shared upstream.'
            : up.state === 'refused' ? 'Refused: the upstream\'s head is not served.' : 'Unreachable.',
          up.message ? ` ${up.message}` : ''),
        h('div', { class: 'cards', id: 'upstream-metrics' }, [
          ['Lag', up.lagSeconds < 0 ? 'never synced' : `${up.lagSeconds.toFixed(1)} s`],
          ['Fetches', up.fetches], ['Failed fetches', up.fetchFailures],
          ['Pushes', up.pushes], ['Push conflicts', up.pushConflicts], ['Failed pushes', up.pushFailures],
          ['Read-repairs', up.repairs],
        ].map(([k, v]) => h('div', { class: 'card' }, h('div', { class: 'muted' }, k), h('div', { class: 'v' }, v === undefined ? '–' : v))))) : null,
      h('div', { class: 'cards', id: 'metrics' }, cards.map(([k, v]) =>
        h('div', { class: 'card' }, h('div', { class: 'muted' }, k), h('div', { class: 'v' }, v === null ? '–' : v)))),
      h('section', { 'aria-labelledby': 'h-rejected' }, h('h2', { id: 'h-rejected' }, 'Last rejected push'),
        last ? h('p', {}, 'Commit ', h('code', { id: 'rejected-head' }, last.head || '?'), ', refused ',
          fmtTime(last.time * 1000), health.status !== 'invalid' ? ' (a later head loaded).' : ' (still the branch head).') : null,
        last ? h('pre', { class: 'code', id: 'rejected' }, last.message)
          : h('p', { class: 'muted', id: 'rejected' }, 'No push has been refused since the server started.')));
  }

  /* ---- routing ------------------------------------------------------------------------------ */

  function fail(e) {
    say(e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : String(e && e.message || e));
  }

  async function route() {
    const hash = location.hash || '#/subjects';
    const [path, query] = hash.slice(1).split('?');
    const params = new URLSearchParams(query || '');
    const parts = path.split('/').filter((p, i) => i > 0).map((p) => decodeURIComponent(p));
    for (const a of document.querySelectorAll('.top nav a')) {
      if (a.getAttribute('href') === '#/' + parts[0]) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const gen = ++routeGen;
    delete main.dataset.view;
    if (sticky) sticky = false;
    else say('');
    try {
      switch (parts[0]) {
        case 'subject': await viewSubject(parts[1], params); break;
        case 'schema': await viewSchema(parts[1], parts[2]); break;
        case 'diff': await viewDiff(parts[1], parts[2], parts[3]); break;
        case 'test': await viewTest(parts[1]); break;
        case 'health': await viewHealth(); break;
        default: await viewSubjects(params); break;
      }
      if (gen !== routeGen) return;
      main.dataset.view = hash;        /* rendered: what tests wait for */
      document.title = `regit — ${(main.querySelector('h1') || {}).textContent || ''}`;
      main.focus({ preventScroll: true });
    } catch (e) {
      if (gen !== routeGen) return;
      showIf(gen, h('h1', {}, 'Error'));
      fail(e);
    }
  }

  async function start() {
    const typedIn = document.getElementById('confirm-input');
    typedIn.addEventListener('input', () => typedIn.setCustomValidity(''));
    try {
      me = await api('GET', '/regit/whoami');
    } catch (e) { fail(e); }
    const who = document.getElementById('whoami');
    who.textContent = me.auth ? `${me.user} (${me.role})` : 'no authentication';
    who.dataset.role = me.role;
    window.addEventListener('hashchange', route);
    await route();
    document.body.dataset.ready = 'true';
  }

  start();
})();
