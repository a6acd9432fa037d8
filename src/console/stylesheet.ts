/** The console's one stylesheet: system fonts, light and dark by the reader's setting, visible focus, calm tables. */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --panel: #ffffff; --text: #1d1f21; --muted: #5d6166; --line: #dcdcd6; --stripe: #f1f1ee;
  --accent: #2f5d8a; --accent-text: #ffffff; --danger: #a4332b; --good: #2c6e49; --warn: #8a5a00; --focus: #3b82c4;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #17191c; --panel: #1f2226; --text: #e6e6e3; --muted: #a3a7ad; --line: #33373d; --stripe: #24272c;
    --accent: #7fb0e0; --accent-text: #111315; --danger: #f08a80; --good: #7cc79b; --warn: #e0b25c; --focus: #9cc8f0;
  }
}
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 15px; line-height: 1.5; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
.skip { position: absolute; left: -999px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--panel); padding: 0.25rem 0.5rem; }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); }
header.top .bar { max-width: 76rem; margin: 0 auto; padding: 0.6rem 1.25rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
.brand { font-weight: 600; color: var(--text); text-decoration: none; }
nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; flex-wrap: wrap; }
nav a { text-decoration: none; color: var(--muted); padding: 0.2rem 0; border-bottom: 2px solid transparent; }
nav a[aria-current="page"] { color: var(--text); border-bottom-color: var(--accent); }
.who { margin-left: auto; display: flex; gap: 0.75rem; align-items: center; color: var(--muted); }
main { max-width: 76rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; font-weight: 600; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; font-weight: 600; margin: 1.5rem 0 0.75rem; }
p.lead { color: var(--muted); margin-top: -0.5rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1.25rem; }
.narrow { max-width: 32rem; margin: 3rem auto; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem 1rem; align-items: end; }
label { display: block; font-size: 0.85rem; color: var(--muted); margin-bottom: 0.2rem; }
input, select { width: 100%; font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.5rem; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
button, .button { font: inherit; border-radius: 6px; padding: 0.42rem 0.9rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); color: var(--panel); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.inline { display: inline-flex; gap: 0.4rem; align-items: center; margin: 0; }
.inline select { width: auto; }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
caption { text-align: left; padding: 0.6rem 0.8rem; color: var(--muted); }
th, td { text-align: left; padding: 0.5rem 0.8rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { border-top: none; font-weight: 600; color: var(--muted); white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--stripe); }
td.nowrap, th.nowrap { white-space: nowrap; }
.badge { display: inline-block; border-radius: 999px; padding: 0 0.5rem; font-size: 0.8rem; border: 1px solid var(--line); white-space: nowrap; }
.badge.ok, .badge.running { color: var(--good); border-color: var(--good); }
.badge.denied, .badge.error, .badge.failed { color: var(--danger); border-color: var(--danger); }
.badge.invalid, .badge.pending { color: var(--warn); border-color: var(--warn); }
.notice { border-left: 4px solid var(--good); }
.problem { border-left: 4px solid var(--danger); }
.muted { color: var(--muted); }
.pager { display: flex; justify-content: space-between; margin-top: 0.75rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; margin: 0; }
.htmx-request { opacity: 0.6; transition: opacity 150ms; }
`;
