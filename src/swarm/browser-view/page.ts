/**
 * The page `peermon swarm --view` serves: one self-contained HTML document
 * (inline CSS and JS, nothing from the internet). Its script is TypeScript in
 * src/swarm/browser-view/page/client.ts, compiled with DOM types by its own tsconfig
 * (part of `npm run build`) to dist/src/swarm/browser-view/page/client.js, read here once.
 */
import { readPageScript, selfContainedPage } from '../../http/page.js'

/** The page's script (an ES module with no imports; its hash goes into the CSP). */
export const VIEW_SCRIPT = readPageScript(new URL('./page/client.js', import.meta.url), 'the swarm view')

export const VIEW_STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2430; --muted: #6b7280; --line: #e3e6eb;
  --alive: #1f9d55; --alerting: #d93f3f; --left: #9aa1ab; --unknown: #e8ebef; --self: #3b4250; --down: #c9ced6;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --panel: #1c2027; --text: #e6e9ee; --muted: #9aa3af; --line: #2c313a; --unknown: #2a2f37; --self: #cfd5de; --down: #3a3f48; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 12px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
.muted { color: var(--muted); font-size: 12.5px; }
.live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--left); margin-right: 6px; }
.live.on::before { background: var(--alive); } .live.off::before { background: var(--alerting); }
#banner:not(:empty) { background: #fdeeee; color: #8a1c1c; padding: 8px 20px; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 16px; padding: 16px 20px; align-items: start; }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
h2 { font-size: 14px; margin: 0 0 8px; }
section + section { margin-top: 16px; }
.scroll { overflow: auto; }
#matrix { display: block; }
#nodes tr.exited td { color: var(--muted); text-decoration: line-through; }
#nodes tr.paused .state { color: #c77700; }
#nodes tr.partitioned .state { font-weight: bold; color: #2f6fd6; }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 8px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; background: var(--unknown); }
.legend i.a { background: var(--alive); } .legend i.x { background: var(--alerting); } .legend i.l { background: var(--left); }
.legend i.s { background: var(--self); } .legend i.d { background: transparent; outline: 1px dashed var(--down); }
#nodes { border-collapse: collapse; width: 100%; font-size: 13px; }
#nodes th, #nodes td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
#nodes .mono { font: 12px ui-monospace, monospace; }
button { font: inherit; font-size: 12px; padding: 1px 7px; margin-right: 3px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--text); cursor: pointer; }
button:disabled { opacity: .4; cursor: not-allowed; }
button:not(:disabled):hover { border-color: var(--muted); }
#feed { list-style: none; margin: 0; padding: 0; max-height: 75vh; overflow: auto; font-size: 12.5px; }
#feed li { padding: 3px 0; border-bottom: 1px solid var(--line); }
#feed .ev { font-weight: 600; }
#feed li[data-event="alert"] .ev, #feed li[data-event="isolated"] .ev, #feed li[data-event="exited"] .ev { color: var(--alerting); }
#feed li[data-event="recovered"] .ev, #feed li[data-event="joined"] .ev, #feed li[data-event="healthy"] .ev { color: var(--alive); }
#feed li[data-event="action"] .ev { color: #2f6fd6; }
`

const BODY = `
<header>
  <h1>peermon swarm</h1>
  <span id="about" class="muted">…</span>
  <span id="live" class="live muted">connecting…</span>
  <span id="counts" class="muted"></span>
  <button id="heal-all" type="button" hidden>heal every link</button>
</header>
<div id="banner" role="alert"></div>
<main>
  <div>
    <section>
      <h2>Who sees whom <span class="muted">(row: observer, column: peer)</span></h2>
      <div class="scroll"><canvas id="matrix" role="img" aria-label="who sees whom: row observer, column peer"></canvas></div>
      <div class="legend">
        <span><i class="a"></i>alive</span><span><i class="x"></i>alerting</span><span><i class="l"></i>left</span>
        <span><i></i>unknown</span><span><i class="s"></i>self</span><span><i class="d"></i>observer not running</span>
      </div>
    </section>
    <section>
      <h2>Nodes</h2>
      <div class="scroll"><table id="nodes">
        <thead><tr><th>node</th><th>peer</th><th>state</th><th>pid</th><th>actions</th></tr></thead>
        <tbody></tbody>
      </table></div>
    </section>
  </div>
  <section>
    <h2>Events</h2>
    <ul id="feed"></ul>
  </section>
</main>
<noscript><p>The view needs JavaScript; the same data is at /api/state.</p></noscript>
`

export const VIEW_HTML = selfContainedPage({ title: 'peermon swarm', style: VIEW_STYLE, body: BODY, script: VIEW_SCRIPT })
