extension AdminPage {
    static let css = ##"""
:root {
  --bg: #f5f6f8; --card: #fff; --text: #1d2330; --muted: #667085; --line: #dde1e8;
  --accent: #2f5bea; --accent-dark: #2147c4; --danger: #c62828; --ok: #1b8a3a; --focus: #f4b400;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 15px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 18px; margin: 0; }
h3 { font-size: 14px; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.muted { color: var(--muted); }
[hidden] { display: none !important; }

.topbar { display: flex; align-items: center; gap: 24px; padding: 10px 24px; min-height: 52px; background: #1d2330;
  color: #fff; }
.topbar .brand { font-weight: 700; }
.topbar nav .current { border-bottom: 2px solid #fff; padding-bottom: 2px; }
.topbar .link { margin-left: auto; color: #cfd6e4; background: none; border: none; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 24px; }
.narrow { max-width: 460px; margin: 40px auto; }
.narrow input { width: 100%; margin: 6px 0; }
.narrow button { margin-top: 10px; }
td .served { font-size: 12px; margin-top: 2px; }

button { font: inherit; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--line); background: #fff;
  color: var(--text); cursor: pointer; }
button:hover { background: #eef1f6; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { background: var(--accent-dark); }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.danger-text { color: var(--danger); }
button.small { padding: 4px 10px; font-size: 13px; }
button.icon { border: none; background: none; font-size: 22px; line-height: 1; padding: 2px 8px; }
button:disabled { opacity: .5; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }

input, select, textarea { font: inherit; padding: 7px 9px; border: 1px solid #c4cad4; border-radius: 6px;
  background: #fff; color: var(--text); }
textarea { resize: vertical; width: 100%; }
input:disabled, select:disabled, textarea:disabled { background: #eceef2; color: #9aa1ad; cursor: not-allowed; }
[aria-invalid="true"] { border-color: var(--danger); box-shadow: 0 0 0 1px var(--danger); }

.list-head { display: flex; align-items: center; justify-content: space-between; margin-bottom: 16px; }
.toolbar { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.toolbar input[type=search] { width: 380px; max-width: 100%; }
.table-wrap { background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 10px 12px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #fafbfc; }
tbody tr:last-child td { border-bottom: none; }
tbody tr:hover { background: #fafbff; }
td.name { font-weight: 600; }
td.preview { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: #414a5a; }
td.url { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.center { text-align: center; }
.tick { color: var(--ok); font-weight: 700; font-size: 17px; }
.cross { color: var(--danger); font-weight: 700; font-size: 17px; }
td.actions { white-space: nowrap; text-align: right; }
td.actions button { margin-left: 4px; }
td.empty { text-align: center; color: var(--muted); padding: 32px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eef1f6; }
.badge.yaml { background: #fff4d6; }
.state-delivered { color: var(--ok); } .state-failed { color: var(--danger); } .state-retrying { color: #b26a00; }

.banner { padding: 10px 14px; border-radius: 6px; margin: 0 0 12px; }
.banner.error { background: #fdecea; color: #8e1c1c; border: 1px solid #f5c2bd; }

dialog { border: none; border-radius: 10px; padding: 0; width: min(760px, 96vw); max-height: 92vh;
  box-shadow: 0 20px 60px rgba(16, 24, 40, .35); color: var(--text); }
dialog.wide { width: min(900px, 96vw); }
dialog.small-dialog { width: min(440px, 96vw); }
dialog::backdrop { background: rgba(16, 24, 40, .45); }
dialog[open] { display: flex; flex-direction: column; overflow: hidden; }
dialog > form { display: flex; flex-direction: column; min-height: 0; flex: 1 1 auto; }
.dialog-head { display: flex; align-items: center; justify-content: space-between; padding: 14px 20px;
  border-bottom: 1px solid var(--line); }
.dialog-body { padding: 16px 20px; overflow-y: auto; min-height: 0; flex: 1 1 auto; }
.dialog-head, .dialog-foot { flex: none; }
.event-meta { color: var(--muted); margin: 0 0 8px; }
.dialog-foot { display: flex; justify-content: flex-end; gap: 8px; padding: 12px 20px;
  border-top: 1px solid var(--line);
  background: #fafbfc; }
.dialog-actions { display: flex; justify-content: flex-end; gap: 8px; margin: 8px 0; align-items: center; }
.dialog-actions.left { justify-content: flex-start; }

fieldset.section { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 4px; margin: 0 0 16px; }
fieldset.section legend { font-weight: 700; padding: 0 6px; font-size: 15px; }
.field { margin-bottom: 12px; }
.field > label, .field > .label { display: block; font-weight: 600; margin-bottom: 4px; font-size: 14px; }
.field input:not([type=checkbox]), .field select { width: 100%; }
.field-foot { display: flex; justify-content: space-between; gap: 8px; }
.counter { font-size: 12px; white-space: nowrap; margin-top: 2px; }
.counter.over { color: var(--danger); }
.field-error { color: var(--danger); font-size: 13px; margin: 3px 0 0; min-height: 0; }
.field-error:empty { display: none; }
.hint { color: var(--muted); font-size: 13px; margin: 3px 0 0; }
.note { background: #fff8e1; border: 1px solid #f3d98b; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
.req { color: var(--danger); }
.inline { display: flex; gap: 8px; }
.inline input { flex: 1; }
.is-disabled { opacity: .55; }
.auth-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; }

.field > label.switch, .switch { display: inline-flex; align-items: center; gap: 10px; cursor: pointer;
  font-weight: 600; position: relative; margin-bottom: 0; }
.switch input { position: absolute; left: 0; top: 50%; transform: translateY(-50%); opacity: 0; width: 40px;
  height: 22px; margin: 0; cursor: pointer; z-index: 1; }
.switch .slider { display: inline-block; position: relative; width: 40px; height: 22px; border-radius: 11px;
  background: #c4cad4;
  transition: background .15s; flex: none; }
.switch .slider::after { content: ""; position: absolute; top: 3px; left: 3px; width: 16px; height: 16px;
  border-radius: 50%; background: #fff; transition: left .15s; }
.switch input:checked + .slider { background: var(--accent); }
.switch input:checked + .slider::after { left: 21px; }
.switch input:focus-visible + .slider { outline: 3px solid var(--focus); outline-offset: 1px; }
.switch input:disabled + .slider { opacity: .5; }

.header-row { display: grid; grid-template-columns: 1fr 1.4fr auto; gap: 8px; margin-bottom: 6px; }
.header-row input { width: 100%; }
.header-row .header-error { grid-column: 1 / -1; margin-top: -2px; }
.event-group { border-top: 1px solid var(--line); padding-top: 8px; }
.event-group h4 { margin: 4px 0 6px; font-size: 13px; color: var(--muted); text-transform: uppercase; }
.event-row { display: flex; align-items: center; justify-content: space-between; padding: 3px 0; }
.event-row label { display: flex; align-items: center; gap: 8px;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace;
  font-size: 13px; }
.event-row .event-desc { color: var(--muted); font-family: system-ui, sans-serif; font-size: 12px; }

.box { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px; white-space: pre-wrap;
  word-break: break-word; max-height: 320px; overflow: auto; margin: 4px 0 0; }
.result-grid { display: grid; grid-template-columns: 110px 1fr; gap: 4px 12px; margin: 0 0 8px; }
.result-grid dt { color: var(--muted); }
.result-grid dd { margin: 0; font-weight: 600; }
.ok { color: var(--ok); } .bad { color: var(--danger); }
.attempts { font-size: 13px; color: #414a5a; }
.attempts td { padding: 4px 8px; border: none; }
"""##
}
