extension AdminPage {
    /// The page skeleton; `app.js` fills the list and the dialogs. Every control has a label, dialogs are native
    /// `<dialog>` elements (focus kept inside, Esc closes), so the page works with the keyboard alone.
    static let html = ##"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhooks · Event Publisher</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <div class="brand">Event Publisher</div>
  <nav aria-label="Sections"><span class="current">Webhooks</span></nav>
  <button type="button" id="forget-token" class="link" hidden>Forget token</button>
</header>

<main id="main">
  <section id="token-panel" class="card narrow" hidden aria-labelledby="token-title">
    <h1 id="token-title">Admin token</h1>
    <p>Paste the admin token (<code>admin.token</code> in the configuration). It is kept in this tab only.</p>
    <form id="token-form">
      <label for="token-input">Token</label>
      <input id="token-input" type="password" autocomplete="off" required>
      <p class="field-error" id="token-error" role="alert"></p>
      <button type="submit" class="primary">Continue</button>
    </form>
  </section>

  <section id="list-panel" hidden aria-labelledby="list-title">
    <div class="list-head">
      <h1 id="list-title">Webhooks</h1>
      <button type="button" id="add-webhook" class="primary">+ Add webhook</button>
    </div>
    <div class="toolbar">
      <label for="search" class="visually-hidden">Search webhooks</label>
      <input id="search" type="search" placeholder="Search by webhook name or tenant name" autocomplete="off">
      <span id="list-status" class="muted" role="status" aria-live="polite"></span>
    </div>
    <div class="table-wrap">
      <table id="webhook-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col" class="col-tenant">Tenant Origin</th>
            <th scope="col">URL</th>
            <th scope="col" class="center">Enabled</th>
            <th scope="col" class="actions-col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody id="webhook-rows"></tbody>
      </table>
    </div>
  </section>
  <p id="page-error" class="banner error" role="alert" hidden></p>
</main>

<dialog id="webhook-dialog" aria-labelledby="webhook-dialog-title">
  <form id="webhook-form" method="dialog" novalidate>
    <div class="dialog-head">
      <h2 id="webhook-dialog-title">Add webhook</h2>
      <button type="button" class="icon close-dialog" aria-label="Close">×</button>
    </div>
    <div class="dialog-body">
      <p id="form-error" class="banner error" role="alert" hidden></p>
      <p id="yaml-note" class="note" hidden>This webhook comes from the YAML configuration file, which is its source of
        truth: change it there (it reloads without a restart). You can still run a Test from here.</p>

      <fieldset class="section" id="section-general">
        <legend>General</legend>
        <div class="field">
          <label for="f-name">Name <span class="req" aria-hidden="true">*</span></label>
          <input id="f-name" name="name" required aria-describedby="err-name" autocomplete="off">
          <p class="field-error" id="err-name"></p>
        </div>
        <div class="field" id="tenant-origin-field">
          <label for="f-tenant">Tenant origin</label>
          <select id="f-tenant" name="tenant" aria-describedby="err-tenant"></select>
          <p class="field-error" id="err-tenant"></p>
        </div>
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows="3" maxlength="1000"
                    aria-describedby="description-count err-description"></textarea>
          <div class="field-foot">
            <p class="field-error" id="err-description"></p>
            <span id="description-count" class="muted counter">0 / 1000</span>
          </div>
        </div>
        <div class="field toggle-field">
          <label class="switch"><input type="checkbox" id="f-active" role="switch"><span class="slider"></span>
            <span class="switch-label">Active</span></label>
          <p class="hint">Inactive webhooks receive nothing.</p>
        </div>
        <div class="field toggle-field" id="all-tenants-field">
          <label class="switch"><input type="checkbox" id="f-all-tenants" role="switch"
            aria-describedby="err-all_tenants"><span class="slider"></span>
            <span class="switch-label">All tenants</span></label>
          <p class="hint">Fire for the events of every tenant (main-tenant webhooks only).</p>
          <p class="field-error" id="err-all_tenants"></p>
        </div>
        <div class="field" id="tenants-field">
          <label for="f-tenants">Tenants</label>
          <select id="f-tenants" multiple size="4" aria-describedby="tenants-hint err-tenants"></select>
          <p class="hint" id="tenants-hint">Ctrl/⌘ or Shift selects several.</p>
          <p class="field-error" id="err-tenants"></p>
        </div>
      </fieldset>

      <fieldset class="section" id="section-request">
        <legend>Request</legend>
        <div class="field">
          <label for="f-url">URL <span class="req" aria-hidden="true">*</span></label>
          <div class="inline">
            <input id="f-url" name="url" type="url" placeholder="https://example.com/hooks/pbx" required
                   aria-describedby="err-url" autocomplete="off">
            <button type="button" id="open-test">Test</button>
          </div>
          <p class="field-error" id="err-url"></p>
        </div>
        <div class="field">
          <span class="label" id="headers-label">Headers</span>
          <div id="header-rows" role="group" aria-labelledby="headers-label"></div>
          <p class="field-error" id="err-headers"></p>
          <button type="button" id="add-header" class="small">+ Add header</button>
        </div>
        <div class="field">
          <label for="f-signing-secret">Signing secret <span class="muted">(optional)</span></label>
          <input id="f-signing-secret" type="password" autocomplete="off" placeholder="whsec_…"
                 aria-describedby="signing-hint err-signing_secret">
          <p class="hint" id="signing-hint">Standard Webhooks signature (<code>webhook-signature</code> header).</p>
          <p class="field-error" id="err-signing_secret"></p>
        </div>
      </fieldset>

      <fieldset class="section" id="section-auth">
        <legend>Auth</legend>
        <div class="field">
          <label for="f-auth-type">Type</label>
          <select id="f-auth-type" aria-describedby="err-auth.type">
            <option value="none">No Auth</option>
            <option value="basic">Basic Auth</option>
            <option value="bearer">Bearer Token</option>
            <option value="oauth2_client_credentials">OAuth Client Credentials</option>
            <option value="oauth2_password">OAuth Resource Owner Password Credentials</option>
          </select>
          <p class="field-error" id="err-auth.type"></p>
        </div>
        <p class="note" id="password-grant-note" hidden>
          The Resource Owner Password Credentials grant shares a user's password with this service.
          Use it only in trusted or legacy environments; prefer Client Credentials.
        </p>
        <div class="auth-grid">
          <div class="field" data-auth="oauth2_client_credentials oauth2_password">
            <label for="f-auth-token_url">Token URL</label>
            <input id="f-auth-token_url" type="url" autocomplete="off" aria-describedby="err-auth.token_url">
            <p class="field-error" id="err-auth.token_url"></p>
          </div>
          <div class="field" data-auth="oauth2_client_credentials oauth2_password">
            <label for="f-auth-client_id">Client ID</label>
            <input id="f-auth-client_id" autocomplete="off" aria-describedby="err-auth.client_id">
            <p class="field-error" id="err-auth.client_id"></p>
          </div>
          <div class="field" data-auth="oauth2_client_credentials oauth2_password">
            <label for="f-auth-client_secret">Client secret</label>
            <input id="f-auth-client_secret" type="password" autocomplete="off"
                   aria-describedby="err-auth.client_secret">
            <p class="field-error" id="err-auth.client_secret"></p>
          </div>
          <div class="field" data-auth="basic oauth2_password">
            <label for="f-auth-username">Username</label>
            <input id="f-auth-username" autocomplete="off" aria-describedby="err-auth.username">
            <p class="field-error" id="err-auth.username"></p>
          </div>
          <div class="field" data-auth="basic oauth2_password">
            <label for="f-auth-password">Password</label>
            <input id="f-auth-password" type="password" autocomplete="off" aria-describedby="err-auth.password">
            <p class="field-error" id="err-auth.password"></p>
          </div>
          <div class="field" data-auth="bearer">
            <label for="f-auth-token">Token</label>
            <input id="f-auth-token" type="password" autocomplete="off" aria-describedby="err-auth.token">
            <p class="field-error" id="err-auth.token"></p>
          </div>
          <div class="field" data-auth="oauth2_client_credentials oauth2_password">
            <label for="f-auth-scopes">Scopes <span class="muted">(optional, space-separated)</span></label>
            <input id="f-auth-scopes" autocomplete="off" aria-describedby="err-auth.scopes">
            <p class="field-error" id="err-auth.scopes"></p>
          </div>
        </div>
        <p class="hint" id="secret-hint" hidden>Stored secrets are shown as ******** — leave them to keep them.</p>
      </fieldset>

      <fieldset class="section" id="section-events">
        <legend>Events</legend>
        <div class="field toggle-field">
          <label class="switch"><input type="checkbox" id="f-subscribe-all" role="switch"><span class="slider"></span>
            <span class="switch-label">Subscribe to all</span></label>
          <p class="hint">Every event, including events added in future versions.</p>
        </div>
        <div id="event-groups"></div>
        <p class="field-error" id="err-events"></p>
      </fieldset>
    </div>
    <div class="dialog-foot">
      <button type="button" class="close-dialog">Cancel</button>
      <button type="submit" class="primary" id="save-webhook">Save</button>
    </div>
  </form>
</dialog>

<dialog id="test-dialog" aria-labelledby="test-dialog-title" class="wide">
  <div class="dialog-head">
    <h2 id="test-dialog-title">Test request</h2>
    <button type="button" class="icon close-dialog" aria-label="Close">×</button>
  </div>
  <div class="dialog-body">
    <p class="muted" id="test-target"></p>
    <div class="field">
      <label for="test-event">Sample of</label>
      <select id="test-event"></select>
    </div>
    <div class="field">
      <label for="test-body">Body</label>
      <textarea id="test-body" rows="12" spellcheck="false" class="mono"></textarea>
      <p class="field-error" id="test-error" role="alert"></p>
    </div>
    <div class="dialog-actions"><button type="button" id="send-test" class="primary">Send test</button></div>
    <section id="test-result" hidden aria-live="polite" aria-labelledby="test-result-title">
      <h3 id="test-result-title">Result</h3>
      <dl class="result-grid">
        <dt>Reachable</dt><dd id="test-reachable"></dd>
        <dt>Status</dt><dd id="test-status"></dd>
        <dt>Time</dt><dd id="test-time"></dd>
      </dl>
      <p class="field-error" id="test-result-error"></p>
      <label for="test-response">Response body</label>
      <pre id="test-response" class="mono box" tabindex="0"></pre>
    </section>
  </div>
</dialog>

<dialog id="event-dialog" aria-labelledby="event-dialog-title" class="wide">
  <div class="dialog-head">
    <h2 id="event-dialog-title">Event</h2>
    <button type="button" class="icon close-dialog" aria-label="Close">×</button>
  </div>
  <div class="dialog-body">
    <p id="event-title" class="event-meta"></p>
    <p id="event-description"></p>
    <p id="event-fires" class="hint"></p>
    <h3>Schema</h3>
    <pre id="event-schema" class="mono box" tabindex="0"></pre>
    <h3>Sample</h3>
    <pre id="event-sample" class="mono box" tabindex="0"></pre>
  </div>
</dialog>

<dialog id="delivery-dialog" aria-labelledby="delivery-dialog-title" class="wide">
  <div class="dialog-head">
    <h2 id="delivery-dialog-title">Delivery log</h2>
    <button type="button" class="icon close-dialog" aria-label="Close">×</button>
  </div>
  <div class="dialog-body">
    <div class="dialog-actions left"><button type="button" id="refresh-deliveries" class="small">Refresh</button>
      <span id="delivery-status" class="muted" role="status" aria-live="polite"></span></div>
    <div class="table-wrap">
      <table id="delivery-table">
        <thead><tr><th scope="col">Event</th><th scope="col">State</th><th scope="col">Attempts</th>
          <th scope="col">Last status</th><th scope="col">Created</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody id="delivery-rows"></tbody>
      </table>
    </div>
  </div>
</dialog>

<dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" class="small-dialog">
  <form method="dialog">
    <div class="dialog-body">
      <h2 id="confirm-title">Delete webhook?</h2>
      <p id="confirm-text"></p>
    </div>
    <div class="dialog-foot">
      <button value="cancel" id="confirm-cancel" autofocus>Cancel</button>
      <button value="ok" id="confirm-ok" class="danger">Delete</button>
    </div>
  </form>
</dialog>
</body>
</html>
"""##
}
