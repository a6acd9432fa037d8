/** The sandbox page's own layout on top of the site stylesheet: a chat window with a sidebar and a composer. */
export const SANDBOX_STYLESHEET = `
body { display: flex; flex-direction: column; height: 100vh; }
.banner { margin: 0; font-size: 0.9rem; }
.topbar { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: 0.6rem 1rem; background: #1f2a44; color: #fff; }
.topbar .muted { color: #aeb8cc; font-weight: 400; }
.people { display: flex; align-items: center; gap: 0.4rem; flex-wrap: wrap; }
.people .muted { margin-right: 0.2rem; }
.person { color: #dfe6f5; text-decoration: none; border: 1px solid #3b4a6b; border-radius: 999px; padding: 0.2rem 0.7rem; }
.person small { color: #aeb8cc; }
.person.current { background: #fff; color: var(--ink); border-color: #fff; font-weight: 600; }
.person.current small { color: var(--muted); }
.workspace { flex: 1; min-height: 0; display: grid; grid-template-columns: 230px 1fr; grid-template-rows: 1fr auto auto; background: var(--paper); }
.live { display: contents; }
.channels { grid-row: 1 / span 3; background: #27324f; color: #dfe6f5; padding: 0.8rem 0.6rem; overflow-y: auto; }
.channels h2 { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.06em; color: #aeb8cc; margin: 0.8rem 0.4rem 0.3rem; }
.channels ul { list-style: none; margin: 0; padding: 0; }
.channel { display: flex; justify-content: space-between; align-items: center; color: #dfe6f5; text-decoration: none; padding: 0.25rem 0.5rem; border-radius: 5px; }
.channel:hover { background: #34416a; }
.channel.current { background: var(--accent); color: #fff; }
.channel small { color: inherit; }
.count { font-size: 0.75rem; background: #46557f; border-radius: 999px; padding: 0 0.45rem; }
.conversation { display: flex; flex-direction: column; min-height: 0; background: var(--paper); }
.channel-title { padding: 0.6rem 1rem; margin: 0; border-bottom: 1px solid var(--line); }
.messages { flex: 1; min-height: 0; overflow-y: auto; display: flex; flex-direction: column-reverse; padding: 0.6rem 1rem; gap: 0.6rem; }
.messages > * { flex: none; }
.messages .empty { margin: auto 0; }
.message { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: 0.5rem 0.8rem; background: var(--paper); }
.message.tone-good { border-left-color: var(--good); }
.message.tone-warning { border-left-color: var(--warning); }
.message.tone-danger { border-left-color: var(--danger); }
.meta { font-size: 0.85rem; margin-bottom: 0.2rem; }
.author { font-weight: 700; }
.only-you { font-size: 0.75rem; background: #eef1f6; color: var(--muted); border-radius: 4px; padding: 0.05rem 0.4rem; }
.view-header { margin: 0.1rem 0 0.3rem; font-size: 1rem; }
.view-text { margin: 0.2rem 0; }
.view-fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 0.3rem 1rem; margin: 0.4rem 0; }
.view-fields dt { font-size: 0.8rem; color: var(--muted); }
.view-fields dd { margin: 0; }
.view-list { margin: 0.3rem 0; padding-left: 1.2rem; }
.view-context { font-size: 0.82rem; color: var(--muted); margin: 0.3rem 0; }
.view-actions { display: flex; gap: 0.4rem; flex-wrap: wrap; margin-top: 0.4rem; }
.button-form { margin: 0; }
.mention { color: var(--accent); background: #e8eefc; border-radius: 3px; padding: 0 0.2rem; }
.file { display: inline-block; margin-top: 0.4rem; padding: 0.3rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; text-decoration: none; }
.thread { margin: 0.5rem 0 0 0.8rem; padding-left: 0.8rem; border-left: 2px solid var(--line); }
.thread-title { margin: 0 0 0.3rem; font-size: 0.8rem; color: var(--muted); font-weight: 600; }
.reply { padding: 0.1rem 0; font-size: 0.92rem; }
.reply .view-context, .reply .view-text { margin: 0; }
.reply .meta { display: none; }
.dialog { grid-column: 2; margin: 0.6rem 1rem; border-color: var(--accent); }
.dialog h3 { margin: 0 0 0.3rem; }
.dialog input, .dialog textarea, .dialog select { width: 100%; }
.dialog-buttons { display: flex; gap: 0.5rem; margin-top: 0.6rem; }
.composer { grid-column: 2; display: flex; gap: 0.5rem; padding: 0.6rem 1rem; border-top: 1px solid var(--line); background: var(--paper); }
.composer input { flex: 1; }
.empty { padding: 1rem 0; }
`;
