extension AdminPage {
    /// The page's behaviour. Data only ever reaches the DOM through `textContent`/attributes (never `innerHTML`),
    /// so webhook names, descriptions and response bodies cannot inject markup.
    static let javascript = ##"""
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const MASK = '********';
  const AUTH_SECRET_KEYS = ['password', 'token', 'client_secret'];
  const state = { token: null, tenants: ['main'], events: [], webhooks: [], editing: null, searchTimer: 0,
                  deliveriesFor: null, listLoaded: false };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const preview = (text, length) => (text.length > length ? text.slice(0, length - 1) + '…' : text);
  const pretty = (value) => JSON.stringify(value, null, 2);

  // ---- token -------------------------------------------------------------------------------
  function readToken() {
    const match = location.hash.match(/(?:^#|&)token=([^&]*)/);
    if (match) {
      sessionStorage.setItem('eventPublisherAdminToken', decodeURIComponent(match[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem('eventPublisherAdminToken');
  }
  function showTokenPanel(message) {
    $('list-panel').hidden = true;
    $('forget-token').hidden = true;
    $('token-panel').hidden = false;
    $('token-error').textContent = message || '';
    $('token-input').value = '';
    $('token-input').focus();
  }
  function forgetToken(message) {
    sessionStorage.removeItem('eventPublisherAdminToken');
    state.token = null;
    for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
    showTokenPanel(message);
  }

  // ---- API ---------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, error) {
      super(error.message || ('HTTP ' + status));
      this.status = status;
      this.field = error.field || null;
      this.problems = error.problems || (error.field ? [{ field: error.field, message: error.message }] : []);
    }
  }
  async function api(method, path, body) {
    const headers = { 'Authorization': 'Bearer ' + state.token, 'Accept': 'application/json' };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    let response;
    try { response = await fetch(path, init); } catch (error) {
      throw new ApiError(0, { message: 'The server cannot be reached.' });
    }
    if (response.status === 401) {
      forgetToken('The token was not accepted.');
      throw new ApiError(401, { message: 'unauthorized' });
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) throw new ApiError(response.status, (data && data.error) || {});
    return data;
  }
  function showPageError(error) {
    const banner = $('page-error');
    banner.textContent = error ? error.message : '';
    banner.hidden = !error;
  }

  // ---- list --------------------------------------------------------------------------------
  async function start() {
    state.token = readToken();
    if (!state.token) { showTokenPanel(); return; }
    $('token-panel').hidden = true;
    try {
      const [tenants, events] = await Promise.all([api('GET', '/api/tenants'), api('GET', '/api/events')]);
      state.tenants = tenants.tenants.length ? tenants.tenants : ['main'];
      state.events = events.events;
      buildEventPicker();
      await loadWebhooks();
      $('list-panel').hidden = false;
      $('forget-token').hidden = false;
      showPageError(null);
    } catch (error) {
      if (error.status !== 401) showPageError(error);
    }
  }
  async function loadWebhooks() {
    const search = $('search').value.trim();
    const data = await api('GET', '/api/webhooks' + (search ? '?search=' + encodeURIComponent(search) : ''));
    state.webhooks = data.webhooks;
    renderList(search);
  }
  // Which tenants a main-tenant webhook serves, under its origin (why a tenant search found it).
  function servedTenants(webhook) {
    if (webhook.tenant !== 'main') return null;
    const text = webhook.all_tenants ? 'serves all tenants'
      : webhook.tenants.length ? 'serves ' + webhook.tenants.join(', ') : null;
    return text ? el('div', { class: 'served muted' }, text) : null;
  }
  function renderList(search) {
    const multiTenant = state.tenants.length > 1;
    for (const cell of document.querySelectorAll('.col-tenant')) cell.hidden = !multiTenant;
    const rows = $('webhook-rows');
    rows.replaceChildren();
    for (const webhook of state.webhooks) {
      rows.append(el('tr', { 'data-id': webhook.id },
        el('td', { class: 'name' }, webhook.name,
           webhook.origin === 'yaml'
             ? el('span', { class: 'badge yaml', title: 'Seeded from the YAML file', text: 'YAML' }) : null),
        el('td', { class: 'preview description', title: webhook.description }, preview(webhook.description, 60)),
        multiTenant ? el('td', { class: 'tenant' }, webhook.tenant, servedTenants(webhook)) : null,
        el('td', { class: 'preview url', title: webhook.url }, preview(webhook.url, 42)),
        el('td', { class: 'center enabled' }, webhook.active
          ? el('span', { class: 'tick', role: 'img', 'aria-label': 'Enabled', text: '✓' })
          : el('span', { class: 'cross', role: 'img', 'aria-label': 'Disabled', text: '✗' })),
        el('td', { class: 'actions' },
          el('button', { type: 'button', class: 'small edit', 'aria-label': 'Edit ' + webhook.name,
                         onclick: () => openForm(webhook.id) }, 'Edit'),
          el('button', { type: 'button', class: 'small deliveries', 'aria-label': 'Delivery log of ' + webhook.name,
                         onclick: () => openDeliveries(webhook) }, 'Deliveries'),
          el('button', { type: 'button', class: 'small danger-text delete', 'aria-label': 'Delete ' + webhook.name,
                         disabled: webhook.origin === 'yaml',
                         title: webhook.origin === 'yaml' ? 'Managed by the YAML configuration' : null,
                         onclick: () => deleteWebhook(webhook) }, 'Delete'))));
    }
    if (!state.webhooks.length) {
      rows.append(el('tr', {}, el('td', { class: 'empty', colspan: multiTenant ? 6 : 5 },
        search ? 'No webhook or tenant matches “' + search + '”.'
          : 'No webhooks yet. Add one to start receiving call events.')));
    }
    $('list-status').textContent = state.webhooks.length + (state.webhooks.length === 1 ? ' webhook' : ' webhooks');
  }
  async function deleteWebhook(webhook) {
    const confirmed = await confirmDialog('Delete webhook “' + webhook.name
      + '”? Its pending deliveries stop. This cannot be undone.');
    if (!confirmed) return;
    try {
      await api('DELETE', '/api/webhooks/' + webhook.id);
      await loadWebhooks();
      showPageError(null);
    } catch (error) { if (error.status !== 401) showPageError(error); }
  }
  function confirmDialog(text) {
    const dialog = $('confirm-dialog');
    $('confirm-text').textContent = text;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  // ---- add / edit form ---------------------------------------------------------------------
  function buildEventPicker() {
    const groups = $('event-groups');
    groups.replaceChildren();
    const categories = [...new Set(state.events.map((event) => event.category))];
    for (const category of categories) {
      const list = el('div', { class: 'event-list', role: 'group', 'aria-label': 'Events of category ' + category });
      for (const event of state.events.filter((item) => item.category === category)) {
        const id = 'event-' + event.name.replace(/[^a-z0-9]/gi, '-');
        list.append(el('div', { class: 'event-row' },
          el('label', { for: id },
            el('input', { type: 'checkbox', id, class: 'event-checkbox', value: event.name }),
            el('span', {}, event.name)),
          el('button', { type: 'button', class: 'small event-details', 'data-event': event.name,
                         'aria-label': 'Details of ' + event.name,
                         onclick: () => openEventDetails(event.name) }, 'Details')));
      }
      groups.append(el('div', { class: 'event-group' }, el('h4', {}, 'Category: ' + category), list));
    }
    const testSelect = $('test-event');
    testSelect.replaceChildren(...state.events.map((event) => el('option', { value: event.name }, event.name)));
  }
  function fillTenantSelects(webhook) {
    $('f-tenant').replaceChildren(...state.tenants.map((name) => el('option', { value: name }, name)));
    if (!state.tenants.includes(webhook.tenant)) {
      $('f-tenant').append(el('option', { value: webhook.tenant }, webhook.tenant));
    }
    $('f-tenant').value = webhook.tenant;
    $('f-tenants').replaceChildren(...state.tenants.map((name) =>
      el('option', { value: name, selected: webhook.tenants.includes(name) }, name)));
    $('tenant-origin-field').hidden = state.tenants.length <= 1;
  }
  function addHeaderRow(name, value) {
    const rows = $('header-rows');
    const row = el('div', { class: 'header-row' },
      el('input', { class: 'header-name', placeholder: 'Header name', 'aria-label': 'Header name', value: name || '',
                    autocomplete: 'off' }),
      el('input', { class: 'header-value', placeholder: 'Value', 'aria-label': 'Header value', value: value || '',
                    autocomplete: 'off' }),
      el('button', { type: 'button', class: 'icon remove-header', 'aria-label': 'Remove header',
                     onclick: () => { row.remove(); } }, '×'),
      el('p', { class: 'field-error header-error' }));
    rows.append(row);
    return row;
  }
  function setAuthType(type) {
    $('f-auth-type').value = type;
    for (const field of document.querySelectorAll('[data-auth]')) {
      field.hidden = !field.dataset.auth.split(' ').includes(type);
    }
    $('password-grant-note').hidden = type !== 'oauth2_password';
  }
  function syncToggles() {
    const origin = $('f-tenant').value;
    const mainOrigin = origin === 'main';
    const allTenants = $('f-all-tenants');
    if (!mainOrigin) allTenants.checked = false;
    allTenants.disabled = !mainOrigin;
    $('all-tenants-field').classList.toggle('is-disabled', !mainOrigin);
    const tenantsDisabled = allTenants.checked || !mainOrigin;
    $('f-tenants').disabled = tenantsDisabled;
    $('tenants-field').classList.toggle('is-disabled', tenantsDisabled);
    const all = $('f-subscribe-all').checked;
    for (const box of document.querySelectorAll('.event-checkbox')) box.disabled = all;
    $('event-groups').classList.toggle('is-disabled', all);
  }
  function updateCounter() {
    const length = $('f-description').value.length;
    const counter = $('description-count');
    counter.textContent = length + ' / 1000';
    counter.classList.toggle('over', length > 1000);
  }
  async function openForm(id) {
    clearErrors();
    let webhook = { id: null, name: '', description: '', active: false, tenant: 'main', all_tenants: false, tenants: [],
                    url: '', headers: [], auth: { type: 'none' }, signing_secret: null, subscribe_all: false,
                    events: [] };
    if (id) {
      try { webhook = await api('GET', '/api/webhooks/' + id); } catch (error) {
        if (error.status !== 401) showPageError(error);
        return;
      }
    }
    state.editing = webhook;
    $('webhook-dialog-title').textContent = id ? 'Edit webhook “' + webhook.name + '”' : 'Add webhook';
    $('f-name').value = webhook.name;
    $('f-description').value = webhook.description;
    $('f-active').checked = webhook.active;
    fillTenantSelects(webhook);
    $('f-all-tenants').checked = webhook.all_tenants;
    $('f-url').value = webhook.url;
    $('header-rows').replaceChildren();
    for (const header of webhook.headers) addHeaderRow(header.name, header.value);
    $('f-signing-secret').value = webhook.signing_secret || '';
    const auth = webhook.auth || { type: 'none' };
    for (const key of ['token_url', 'client_id', 'client_secret', 'username', 'password', 'token']) {
      $('f-auth-' + key).value = auth[key] || '';
    }
    $('f-auth-scopes').value = (auth.scopes || []).join(' ');
    setAuthType(auth.type);
    $('secret-hint').hidden = !id;
    const fromYAML = webhook.origin === 'yaml';
    $('yaml-note').hidden = !fromYAML;
    $('save-webhook').disabled = fromYAML;
    $('f-subscribe-all').checked = webhook.subscribe_all;
    for (const box of document.querySelectorAll('.event-checkbox')) box.checked = webhook.events.includes(box.value);
    syncToggles();
    updateCounter();
    $('webhook-dialog').showModal();
    $('webhook-dialog').querySelector('.dialog-body').scrollTop = 0;
    $('f-name').focus();
  }
  function collectRequest() {
    const type = $('f-auth-type').value;
    const auth = { type };
    const fieldsByType = {
      none: [], basic: ['username', 'password'], bearer: ['token'],
      oauth2_client_credentials: ['token_url', 'client_id', 'client_secret', 'scopes'],
      oauth2_password: ['token_url', 'client_id', 'client_secret', 'username', 'password', 'scopes'],
    };
    for (const key of fieldsByType[type]) {
      const value = $('f-auth-' + key).value;
      if (key === 'scopes') auth[key] = value.split(/[\s,]+/).filter(Boolean);
      else auth[key] = AUTH_SECRET_KEYS.includes(key) ? value : value.trim();
    }
    const headers = [];
    for (const row of $('header-rows').children) {
      const name = row.querySelector('.header-name').value.trim();
      const value = row.querySelector('.header-value').value;
      if (name || value) headers.push({ name, value });
    }
    const secret = $('f-signing-secret').value;
    return { url: $('f-url').value.trim(), headers, auth, signing_secret: secret ? secret : null };
  }
  function collectForm() {
    const mainOrigin = $('f-tenant').value === 'main';
    return Object.assign({
      name: $('f-name').value.trim(),
      description: $('f-description').value,
      active: $('f-active').checked,
      tenant: $('f-tenant').value || 'main',
      all_tenants: mainOrigin && $('f-all-tenants').checked,
      tenants: mainOrigin ? [...$('f-tenants').selectedOptions].map((option) => option.value) : [$('f-tenant').value],
      subscribe_all: $('f-subscribe-all').checked,
      events: [...document.querySelectorAll('.event-checkbox:checked')].map((box) => box.value),
    }, collectRequest());
  }

  // Field paths from the API (`name`, `auth.client_secret`, `headers[1].value`, `events[0]`) → error slots.
  const INPUT_FOR_FIELD = {
    name: 'f-name', description: 'f-description', tenant: 'f-tenant', tenants: 'f-tenants', url: 'f-url',
    all_tenants: 'f-all-tenants', signing_secret: 'f-signing-secret', 'auth.type': 'f-auth-type',
    'auth.token_url': 'f-auth-token_url', 'auth.client_id': 'f-auth-client_id',
    'auth.client_secret': 'f-auth-client_secret', 'auth.username': 'f-auth-username',
    'auth.password': 'f-auth-password', 'auth.token': 'f-auth-token', 'auth.scopes': 'f-auth-scopes',
  };
  function clearErrors() {
    for (const slot of $('webhook-form').querySelectorAll('.field-error')) slot.textContent = '';
    for (const input of $('webhook-form').querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    $('form-error').hidden = true;
    $('form-error').textContent = '';
  }
  function showProblems(problems, fallback) {
    let first = null;
    const unplaced = [];
    for (const problem of problems) {
      const field = problem.field || '';
      const header = field.match(/^headers\.(.+)$/);
      let slot = null;
      let input = null;
      if (header) {
        const row = [...$('header-rows').children].find((item) =>
          item.querySelector('.header-name').value.trim().toLowerCase() === header[1].toLowerCase());
        if (row) {
          slot = row.querySelector('.header-error');
          input = row.querySelector(/value/.test(problem.message) ? '.header-value' : '.header-name');
        } else slot = $('err-headers');
      } else {
        const base = field.replace(/\[\d+\].*$/, '');
        slot = $('err-' + field) || $('err-' + base);
        input = $(INPUT_FOR_FIELD[field] || INPUT_FOR_FIELD[base] || '');
        if (base === 'events') input = document.querySelector('.event-checkbox');
      }
      if (!slot) { unplaced.push(problem); continue; }
      slot.textContent = slot.textContent ? slot.textContent + ' ' + problem.message : problem.message;
      if (input) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
    }
    if (unplaced.length || (!problems.length && fallback)) {
      $('form-error').textContent =
        unplaced.map((p) => (p.field ? p.field + ': ' : '') + p.message).join(' ') || fallback;
      $('form-error').hidden = false;
    }
    if (first) first.focus(); else if (!$('form-error').hidden) $('form-error').scrollIntoView({ block: 'nearest' });
  }
  async function saveForm(event) {
    event.preventDefault();
    clearErrors();
    const body = collectForm();
    if (!body.name) { showProblems([{ field: 'name', message: 'Name is required.' }]); return; }
    const button = $('save-webhook');
    button.disabled = true;
    try {
      if (state.editing && state.editing.id) await api('PUT', '/api/webhooks/' + state.editing.id, body);
      else await api('POST', '/api/webhooks', body);
      $('webhook-dialog').close();
      await loadWebhooks();
    } catch (error) {
      if (error.status !== 401) showProblems(error.problems, error.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---- test panel --------------------------------------------------------------------------
  async function loadSample() {
    const name = $('test-event').value;
    if (!name) return;
    try {
      const event = await api('GET', '/api/events/' + encodeURIComponent(name));
      $('test-body').value = pretty(event.sample);
    } catch (error) { $('test-error').textContent = error.message; }
  }
  async function openTest() {
    const request = collectRequest();
    $('test-target').textContent = 'POST ' + (request.url || '(no URL yet)');
    $('test-error').textContent = '';
    $('test-result').hidden = true;
    const chosen = document.querySelector('.event-checkbox:checked');
    if (chosen) $('test-event').value = chosen.value;
    $('test-dialog').showModal();
    await loadSample();
    $('test-body').focus();
  }
  async function sendTest() {
    const request = collectRequest();
    const id = state.editing && state.editing.id ? state.editing.id : null;
    const body = Object.assign({ id, body: $('test-body').value }, request);
    $('test-error').textContent = '';
    const button = $('send-test');
    button.disabled = true;
    button.textContent = 'Sending…';
    try {
      const result = await api('POST', '/api/webhooks/test', body);
      $('test-reachable').textContent = result.reachable ? 'Yes' : 'No';
      $('test-reachable').className = result.reachable ? 'ok' : 'bad';
      $('test-status').textContent = result.status === null ? '—' : String(result.status);
      $('test-status').className = result.status !== null && result.status < 300 ? 'ok' : 'bad';
      $('test-time').textContent = Math.round(result.time_ms) + ' ms';
      $('test-result-error').textContent = result.error || '';
      $('test-response').textContent = result.response_body || '(empty)';
      $('test-result').hidden = false;
    } catch (error) {
      if (error.status !== 401) $('test-error').textContent = (error.field ? error.field + ': ' : '') + error.message;
    } finally {
      button.disabled = false;
      button.textContent = 'Send test';
    }
  }

  // ---- event details -----------------------------------------------------------------------
  async function openEventDetails(name) {
    try {
      const event = await api('GET', '/api/events/' + encodeURIComponent(name));
      $('event-dialog-title').textContent = event.name;
      $('event-title').textContent = (event.title ? event.title + ' · ' : '') + 'category ' + event.category;
      $('event-description').textContent = event.description;
      $('event-fires').textContent = event.fires ? 'When it fires: ' + event.fires : '';
      $('event-schema').textContent = pretty(event.schema);
      $('event-sample').textContent = pretty(event.sample);
      $('event-dialog').showModal();
    } catch (error) { if (error.status !== 401) showPageError(error); }
  }

  // ---- delivery log ------------------------------------------------------------------------
  const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '—');
  async function openDeliveries(webhook) {
    state.deliveriesFor = webhook;
    $('delivery-dialog-title').textContent = 'Delivery log — ' + webhook.name;
    $('delivery-rows').replaceChildren();
    $('delivery-dialog').showModal();
    await loadDeliveries();
  }
  async function loadDeliveries(message) {
    const webhook = state.deliveriesFor;
    if (!webhook) return;
    $('delivery-status').textContent = 'Loading…';
    try {
      const data = await api('GET', '/api/deliveries?webhook=' + webhook.id);
      const rows = $('delivery-rows');
      rows.replaceChildren();
      for (const delivery of data.deliveries) {
        const last = delivery.attempts[delivery.attempts.length - 1];
        rows.append(el('tr', { 'data-id': delivery.id },
          el('td', {}, el('div', { class: 'mono' }, delivery.event),
            el('div', { class: 'muted mono' }, delivery.event_id)),
          el('td', { class: 'state-' + delivery.state }, delivery.state),
          el('td', {}, String(delivery.attempts.length)),
          el('td', {}, last ? (last.status === null ? (last.error || 'no response') : String(last.status)) : '—'),
          el('td', {}, when(delivery.created_at)),
          el('td', { class: 'actions' }, el('button', { type: 'button', class: 'small redeliver',
            'aria-label': 'Redeliver ' + delivery.event_id, onclick: () => redeliver(delivery.id) }, 'Redeliver'))));
        if (delivery.attempts.length) {
          const table = el('table', { class: 'attempts' }, el('tbody', {},
            ...delivery.attempts.map((attempt) => el('tr', {},
            el('td', {}, '#' + attempt.number), el('td', {}, when(attempt.time)),
            el('td', {}, attempt.status === null ? '—' : 'HTTP ' + attempt.status),
            el('td', {}, attempt.latency_ms === null ? '' : Math.round(attempt.latency_ms) + ' ms'),
            el('td', { class: 'preview' }, attempt.error || attempt.response || '')))));
          rows.append(el('tr', { class: 'attempt-row' }, el('td', { colspan: 6 }, table)));
        }
      }
      if (!data.deliveries.length) {
        rows.append(el('tr', {}, el('td', { class: 'empty', colspan: 6 }, 'No deliveries yet.')));
      }
      $('delivery-status').textContent = message || data.deliveries.length + ' deliveries';
    } catch (error) {
      if (error.status !== 401) $('delivery-status').textContent = error.message;
    }
  }
  async function redeliver(id) {
    try {
      await api('POST', '/api/deliveries/' + id + '/redeliver');
      await loadDeliveries('Delivery ' + id + ' queued again.');
    } catch (error) { if (error.status !== 401) $('delivery-status').textContent = error.message; }
  }

  // ---- wiring ------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token-input').value.trim();
      if (!token) { $('token-error').textContent = 'Enter the token.'; return; }
      sessionStorage.setItem('eventPublisherAdminToken', token);
      start();
    });
    $('forget-token').addEventListener('click', () => forgetToken());
    $('search').addEventListener('input', () => {
      clearTimeout(state.searchTimer);
      state.searchTimer = setTimeout(() => loadWebhooks().catch((error) => {
        if (error.status !== 401) showPageError(error);
      }), 200);
    });
    $('add-webhook').addEventListener('click', () => openForm(null));
    $('webhook-form').addEventListener('submit', saveForm);
    $('f-description').addEventListener('input', updateCounter);
    $('f-all-tenants').addEventListener('change', syncToggles);
    $('f-tenant').addEventListener('change', syncToggles);
    $('f-subscribe-all').addEventListener('change', syncToggles);
    $('f-auth-type').addEventListener('change', () => setAuthType($('f-auth-type').value));
    $('add-header').addEventListener('click', () => addHeaderRow('', '').querySelector('.header-name').focus());
    $('open-test').addEventListener('click', openTest);
    $('send-test').addEventListener('click', sendTest);
    $('test-event').addEventListener('change', loadSample);
    $('refresh-deliveries').addEventListener('click', () => loadDeliveries());
    for (const button of document.querySelectorAll('.close-dialog')) {
      button.addEventListener('click', () => button.closest('dialog').close());
    }
    window.addEventListener('hashchange', () => { if (/token=/.test(location.hash)) start(); });
    start();
  });
})();
"""##
}
