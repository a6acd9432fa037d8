/**
 * The console's stylesheet, on top of the site's shared one: the header, tables that stay readable when long, filter
 * forms, badges, and dark colours when the reader's system asks for them.
 */
export const CONSOLE_STYLESHEET = `
:root { color-scheme: light dark; --stripe: #f7f8fb; --focus: #2f5bd3; --code: #eef1f6; }
@media (prefers-color-scheme: dark) {
  :root {
    --ink: #e4e7ec; --muted: #a0a8b6; --line: #343a46; --paper: #1e222a; --wash: #16191f;
    --accent: #8fb0ff; --accent-ink: #10131a; --good: #6fcf97; --warning: #e3b35c; --danger: #f28b82;
    --stripe: #232833; --focus: #8fb0ff; --code: #2a303b;
  }
}
code { background: var(--code); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--paper); padding: 0.25rem 0.5rem; z-index: 1; }
header.top { background: var(--paper); border-bottom: 1px solid var(--line); }
header.top .bar { max-width: 78rem; margin: 0 auto; padding: 0.6rem 1.25rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
.brand { font-weight: 600; color: var(--ink); text-decoration: none; }
nav ul { list-style: none; display: flex; gap: 1.1rem; margin: 0; padding: 0; flex-wrap: wrap; }
nav a { text-decoration: none; color: var(--muted); padding: 0.2rem 0; border-bottom: 2px solid transparent; }
nav a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); }
.who { margin-left: auto; display: flex; gap: 0.6rem; align-items: center; color: var(--muted); }
main { max-width: 78rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
main h1 { font-size: 1.45rem; font-weight: 600; margin: 0 0 0.6rem; }
p.lead { color: var(--muted); margin: 0 0 1.2rem; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 0.9rem 1.2rem; margin: 0 0 1.2rem; }
.narrow { max-width: 34rem; margin: 3rem auto; }
.notice { border-left: 4px solid var(--good); }
.problem { border-left: 4px solid var(--danger); }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11.5rem, 1fr)); gap: 0.6rem 1rem; align-items: start; }
form.filters > .actions { align-self: end; }
form.filters > .form-problem { grid-column: 1 / -1; margin: 0; }
form.filters label { font-weight: 500; font-size: 0.85rem; color: var(--muted); }
form.filters input, form.filters select { width: 100%; }
input.key-once { width: 100%; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
.toolbar { display: flex; gap: 0.8rem; align-items: center; margin: 0 0 0.6rem; flex-wrap: wrap; }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.inline { display: inline-flex; gap: 0.4rem; align-items: center; margin: 0; }
.table-wrap { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
caption { text-align: left; padding: 0.6rem 0.8rem; color: var(--muted); }
th, td { text-align: left; padding: 0.45rem 0.8rem; border-top: 1px solid var(--line); vertical-align: middle; }
td .actions { flex-wrap: nowrap; }
thead th { border-top: none; font-weight: 600; color: var(--muted); white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--stripe); }
.nowrap { white-space: nowrap; }
.badge { display: inline-block; border-radius: 999px; padding: 0 0.55rem; font-size: 0.8rem; border: 1px solid var(--line); white-space: nowrap; color: var(--muted); }
.badge.ok, .badge.good { color: var(--good); border-color: var(--good); }
.badge.denied, .badge.error, .badge.danger { color: var(--danger); border-color: var(--danger); }
.badge.invalid, .badge.warning { color: var(--warning); border-color: var(--warning); }
.pager { display: flex; justify-content: space-between; margin-top: 0.75rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1.2rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--wash); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow-wrap: anywhere; }
ul.people { list-style: none; padding: 0; margin: 0.8rem 0 0; display: grid; gap: 0.5rem; }
ul.people form { flex-wrap: wrap; }
main h2 { margin: 1.4rem 0 0.6rem; }
.panel > h2:first-child { margin-top: 0; }
.card a { font-weight: 600; }
.card p { margin: 0.2rem 0 0; }
.field-problem { color: var(--danger); font-size: 0.85rem; margin: 0.25rem 0 0; }
input[aria-invalid="true"] { border-color: var(--danger); }
[hidden] { display: none !important; }
.table-wrap + .actions { margin-top: 1rem; }
form.filters .wide { grid-column: 1 / -1; margin: 0; }
.passkey-choice { border-top: 1px solid var(--line); margin-top: 1.2rem; padding-top: 0.4rem; }
.htmx-request { opacity: 0.6; transition: opacity 150ms; }
`;
