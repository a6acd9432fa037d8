/**
 * The site's stylesheet: plain CSS, no framework. Shared pieces only (type, colours, buttons, forms, banners, cards);
 * a page adds its own stylesheet for its layout.
 */
export const SITE_STYLESHEET = `
:root {
  --ink: #1d2330; --muted: #5b6577; --line: #d9dee7; --paper: #ffffff; --wash: #f4f6f9;
  --accent: #2f5bd3; --accent-ink: #ffffff; --good: #1f8a4c; --warning: #b7791f; --danger: #c53030;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--ink); background: var(--wash);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; background: #eef1f6; padding: 0.05em 0.3em; border-radius: 3px; }
pre { white-space: pre-wrap; margin: 0.3em 0; }
h1 { font-size: 1.35rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 0 0 0.4rem; }
.banner { background: #fff7e0; border-bottom: 1px solid #f0d58c; padding: 0.5rem 1rem; color: #6b5200; }
.button, button { font: inherit; cursor: pointer; border: 1px solid var(--line); background: var(--paper); color: var(--ink); border-radius: 6px; padding: 0.3rem 0.8rem; }
.button { display: inline-block; text-decoration: none; }
.button:hover, button:hover { border-color: var(--accent); }
.button.primary, button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
.button.danger, button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
input, select, textarea { font: inherit; border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.5rem; background: var(--paper); color: var(--ink); }
label { display: block; font-weight: 600; margin: 0.4rem 0 0.2rem; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 0.8rem; }
.muted { color: var(--muted); }
.home { max-width: 46rem; margin: 3rem auto; padding: 0 1rem; }
.home-links { list-style: none; padding: 0; display: grid; gap: 0.8rem; }
.home-links a { font-size: 1.1rem; font-weight: 600; }
.home-links p { margin: 0.3rem 0 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
