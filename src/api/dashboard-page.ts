/**
 * The dashboard page served at `GET /`: one self-contained HTML document
 * (inline CSS and JS, nothing fetched from the internet). It reads the JSON
 * API and follows the event stream:
 *
 * - one row per peer: a health colour (alive / alerting / left), last-seen age
 *   (ticking), connected or not, load, free memory and disk, peer count, tags
 *   and custom metrics, and a sparkline of its recent report intervals
 *   (differences of consecutive `receivedAt` in its `ping` window);
 * - a live feed of alert, recovered, joined, left and forgotten events
 *   (seeded from `GET /api/v0/alerts`, then `EventSource` on `/api/v0/events`);
 * - the peer list refreshes every second and on each event; the windows
 *   behind the sparklines every 5 s and on each event.
 *
 * With `--api-token`, open the page as `/?token=<token>`: the page keeps the
 * token in sessionStorage, removes it from the address bar, sends it as a
 * bearer header and as `?token=` on the event stream.
 *
 * The stylesheet lives in dashboard-style.ts. The script is TypeScript in
 * src/dashboard/client.ts, compiled with DOM types by its own tsconfig (part of
 * `npm run build`) to dist/src/dashboard/client.js, which is read here once.
 */
import { readPageScript, selfContainedPage } from '../http/page.js'
import { DASHBOARD_STYLE } from './dashboard-style.js'

export { DASHBOARD_STYLE }

/** The page's script (an ES module with no imports; its hash goes into the CSP), as this module sits in dist/src/api/. */
export const DASHBOARD_SCRIPT = readPageScript(new URL('../dashboard/client.js', import.meta.url), 'the dashboard')

const BODY = `
<header>
  <h1>peermon</h1>
  <span class="self" title="the daemon serving this page">as seen by <span id="self">…</span></span>
  <span id="live" class="live">connecting…</span>
  <div class="counts">
    <span class="count alive"><b id="count-alive">0</b> alive</span>
    <span class="count alerting"><b id="count-alerting">0</b> alerting</span>
    <span class="count left"><b id="count-left">0</b> left</span>
    <span class="count conns" id="connections" title="peers this daemon holds a connection to, and the number it keeps at least (--min-connections)"><b id="count-connections">–</b> connections</span>
  </div>
</header>
<div id="banner" role="alert"></div>
<main>
  <section>
    <h2>Peers</h2>
    <div class="scroll"><table>
      <thead><tr>
        <th class="health"></th><th>Peer</th><th>State</th><th class="num">Last seen</th><th>Conn</th>
        <th class="num">Load</th><th class="num">Free mem</th><th class="num">Free disk</th><th class="num">Peers</th>
        <th>Tags</th><th>Report intervals</th>
      </tr></thead>
      <tbody id="peers"></tbody>
    </table></div>
    <div id="no-peers" class="empty">No peers yet: reports from other nodes appear here within an interval or two.</div>
    <p class="legend">Report intervals: time between the last 25 reports received from the peer, with their median;
      dotted: the interval the peer declares; red: its silence so far. Refreshes every second and on each event.</p>
  </section>
  <section>
    <h2>Alerts and events</h2>
    <ul id="feed"></ul>
    <div id="no-events" class="empty">No alerts yet.</div>
  </section>
</main>
<noscript><p class="empty">The dashboard needs JavaScript; the same data is at /api/v0/peers.</p></noscript>
`

/** The whole page. */
export const DASHBOARD_HTML = selfContainedPage({ title: 'peermon', style: DASHBOARD_STYLE, body: BODY, script: DASHBOARD_SCRIPT })
