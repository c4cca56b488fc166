/**
 * The dashboard page served at `GET /`: one self-contained HTML document
 * (inline CSS and JS, no build step, nothing fetched from the internet). It
 * reads the JSON API and follows the event stream:
 *
 * - one row per peer: a health colour (alive / alerting / left), last-seen age
 *   (ticking), connected or not, load, free memory and disk, peer count, tags
 *   and custom metrics, and a sparkline of its recent report intervals
 *   (differences of consecutive `receivedAt` in its `ping` window);
 * - a live feed of alert, recovered, joined, left and forgotten events
 *   (seeded from `GET /api/v0/alerts`, then `EventSource` on `/api/v0/events`);
 * - the table refreshes on each event and every few seconds.
 *
 * With `--api-token`, open the page as `/?token=<token>`: the page keeps the
 * token in sessionStorage, removes it from the address bar, sends it as a
 * bearer header and as `?token=` on the event stream.
 *
 * Values from peers only ever reach the page as text (textContent), never as
 * markup. The script avoids backticks and `${` so it can live in this template.
 */

export const DASHBOARD_STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2430; --muted: #6b7280; --line: #e3e6eb;
  --alive: #1f9d55; --alerting: #d93f3f; --left: #9aa1ab; --joined: #2f6fd6; --chip: #eef1f5;
  --alerting-bg: #fdeeee;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --panel: #1c2027; --text: #e6e9ee; --muted: #9aa3af; --line: #2c313a;
    --chip: #262b33; --alerting-bg: #3a1f22;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 14px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
header .self, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
header .self { color: var(--muted); }
.counts { display: flex; gap: 14px; margin-left: auto; }
.count { font-variant-numeric: tabular-nums; }
.count b { font-size: 16px; }
.count.alive b { color: var(--alive); } .count.alerting b { color: var(--alerting); } .count.left b { color: var(--left); }
.live { font-size: 12px; color: var(--muted); }
.live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--left); margin-right: 6px; vertical-align: 1px; }
.live.on::before { background: var(--alive); }
.live.off::before { background: var(--alerting); }
main { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 16px; padding: 16px 20px; align-items: start; }
@media (max-width: 1300px) { main { grid-template-columns: 1fr; } #feed { max-height: 40vh; } }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.scroll { overflow-x: auto; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line); }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 7px 8px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 11.5px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child td { border-bottom: none; }
tr.alerting td { background: var(--alerting-bg); }
tr.left td { color: var(--muted); }
td.health { width: 6px; padding: 0; }
tr.alive td.health { background: var(--alive); } tr.alerting td.health { background: var(--alerting); } tr.left td.health { background: var(--left); }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.state.alive { background: var(--alive); } .state.alerting { background: var(--alerting); } .state.left { background: var(--left); }
.why { margin-left: 6px; font-size: 12px; color: var(--alerting); }
.stale { color: var(--muted); }
td.tags { white-space: normal; min-width: 160px; max-width: 260px; line-height: 1.9; }
.chip { display: inline-block; padding: 0 6px; margin-right: 4px; white-space: nowrap; border-radius: 4px; background: var(--chip); font-size: 12px; }
.chip.custom { border: 1px dashed var(--line); }
svg.spark { display: inline-block; vertical-align: middle; }
.spark-cell .median { display: inline-block; min-width: 44px; margin-left: 6px; color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; text-align: right; }
svg.spark .expected { stroke: var(--muted); stroke-dasharray: 2 3; stroke-width: 1; }
svg.spark polyline { fill: none; stroke: var(--joined); stroke-width: 1.5; stroke-linejoin: round; }
svg.spark .gap { fill: var(--alerting); }
svg.spark .silence { stroke: var(--alerting); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.spark .last { fill: var(--joined); }
.empty { padding: 18px 14px; color: var(--muted); }
.legend { margin: 0; padding: 8px 14px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
#feed { list-style: none; margin: 0; padding: 0; max-height: calc(100vh - 150px); overflow-y: auto; }
#feed li { display: grid; grid-template-columns: 58px 72px 1fr; gap: 6px; padding: 6px 12px; border-bottom: 1px solid var(--line); font-size: 13px; }
#feed .time { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12px; padding-top: 1px; }
#feed .what { font-weight: 600; }
#feed li.alert .what { color: var(--alerting); } #feed li.recovered .what { color: var(--alive); }
#feed li.joined .what { color: var(--joined); } #feed li.left .what, #feed li.forgotten .what { color: var(--muted); }
#feed .detail { color: var(--muted); font-size: 12px; grid-column: 2 / 4; }
#banner { display: none; margin: 16px 20px 0; padding: 10px 14px; border-radius: 8px; background: var(--alerting-bg); border: 1px solid var(--alerting); }
#banner.show { display: block; }
`

export const DASHBOARD_SCRIPT = `
'use strict';
(function () {
  var API = '/api/v0';
  var REFRESH_MS = 1000;
  var DETAILS_MS = 5000;
  var FEED_MAX = 100;
  var STATE_ORDER = { alerting: 0, alive: 1, left: 2 };
  var BUILTIN = { ping: 1, load: 1, memory: 1, freespace: 1, peers: 1 };

  var params = new URLSearchParams(location.search);
  var token = params.get('token') || sessionStorage.getItem('peermon-token') || '';
  if (params.has('token')) {
    sessionStorage.setItem('peermon-token', token);
    params.delete('token');
    var rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : ''));
  }

  /** peer id -> { view, fetchedAt, intervals, ageCell } */
  var peers = new Map();
  var refreshing = false;
  var again = false;
  var againDetails = false;
  var lastDetailsAt = -Infinity;
  var eventTimer = null;
  var feedLines = [];
  var feedKeys = new Set();

  function $ (id) { return document.getElementById(id); }

  /** Builds an element; children are nodes or strings (always text, never markup). */
  function el (tag, cls, children) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    (children || []).forEach(function (child) {
      if (child == null) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg (tag, attrs) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  function api (path) {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(API + path, { headers: headers, cache: 'no-store' }).then(function (res) {
      if (res.ok) return res.json();
      return res.json().catch(function () { return {}; }).then(function (body) {
        var err = new Error((body && body.error) || res.statusText);
        err.status = res.status;
        throw err;
      });
    });
  }

  function fmtDuration (ms) {
    if (!isFinite(ms)) return '-';
    if (ms < 0) ms = 0;
    if (ms < 1000) return Math.round(ms) + 'ms';
    if (ms < 60000) return (Math.round(ms / 100) / 10) + 's';
    var s = Math.round(ms / 1000);
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (h ? h + 'h' : '') + (m ? m + 'm' : '') + (s ? s + 's' : '');
  }

  function fmtBytes (n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return i === 0 ? Math.round(n) + ' B' : n.toFixed(1) + ' ' + units[i];
  }

  function fmtValue (v) {
    if (typeof v === 'number') return String(Number.isInteger(v) ? v : Math.round(v * 1000) / 1000);
    var s = String(v);
    return s.length > 40 ? s.slice(0, 39) + '\\u2026' : s;
  }

  function shortPeer (id) {
    var chars = Array.from(String(id || ''));
    return chars.length <= 9 ? chars.join('') : '\\u2026' + chars.slice(-8).join('');
  }

  function clock (ts) {
    var d = new Date(ts);
    if (isNaN(d.getTime())) return '';
    function two (n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  function showBanner (text) {
    var banner = $('banner');
    banner.textContent = text || '';
    banner.className = text ? 'show' : '';
  }

  function describeError (err) {
    if (err && err.status === 401) return 'This daemon needs its API token: open this page as /?token=<token>.';
    return 'Cannot read the daemon\\'s API: ' + (err && err.message ? err.message : String(err));
  }

  /** Report intervals (ms) from a window: differences of consecutive receivedAt, oldest first. */
  function intervalsOf (detail) {
    var windows = detail && detail.windows ? detail.windows : {};
    var window = windows.ping;
    if (!window) {
      Object.keys(windows).forEach(function (name) { if (!window || windows[name].length > window.length) window = windows[name]; });
    }
    var out = [];
    for (var i = 1; window && i < window.length; i++) out.push(window[i].receivedAt - window[i - 1].receivedAt);
    return out;
  }

  function median (values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  }

  /** An inline SVG sparkline of the intervals, the expected interval dashed, and the current silence of an alerting peer in red. */
  function sparkline (entry) {
    var W = 110, H = 26, P = 3;
    var values = entry.intervals;
    var view = entry.view;
    var expected = view.intervalMs || median(values) || 1000;
    var gap = view.state === 'alerting' ? view.lastSeenAgoMs : null;
    var top = Math.max(expected * 2, Math.max.apply(null, values.concat([1])));
    var node = svg('svg', { class: 'spark', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    function y (v) { return (H - P - (Math.min(v, top) / top) * (H - 2 * P)).toFixed(1); }
    // An alerting peer's silence takes the last 20 px, after its last interval.
    var right = W - P - (gap != null ? 20 : 0);
    var slots = Math.max(values.length - 1, 1);
    function x (i) { return (i > slots ? W - P : P + (i / slots) * (right - P)).toFixed(1); }
    node.appendChild(svg('line', { class: 'expected', x1: P, x2: W - P, y1: y(expected), y2: y(expected) }));
    if (values.length > 1) {
      node.appendChild(svg('polyline', { points: values.map(function (v, i) { return x(i) + ',' + y(v); }).join(' ') }));
    }
    if (values.length > 0) node.appendChild(svg('circle', { class: 'last', cx: x(values.length - 1), cy: y(values[values.length - 1]), r: 2 }));
    if (gap != null) {
      if (values.length > 0) node.appendChild(svg('line', { class: 'silence', x1: x(values.length - 1), y1: y(values[values.length - 1]), x2: x(slots + 1), y2: y(gap) }));
      node.appendChild(svg('circle', { class: 'gap', cx: x(slots + 1), cy: y(gap), r: 3 }));
    }
    var title = svg('title', {});
    title.textContent = values.length === 0
      ? 'no report intervals yet'
      : 'report intervals (last ' + values.length + '): min ' + fmtDuration(Math.min.apply(null, values)) +
        ', median ' + fmtDuration(median(values)) + ', max ' + fmtDuration(Math.max.apply(null, values)) +
        '; expected ' + fmtDuration(expected) + (gap != null ? '; silent for ' + fmtDuration(gap) : '');
    node.appendChild(title);
    return node;
  }

  function metricCell (metric, bytes) {
    if (!metric) return el('td', 'num', ['-']);
    var text = bytes && typeof metric.value === 'number' ? fmtBytes(metric.value) : fmtValue(metric.value);
    var td = el('td', 'num' + (metric.expiresInMs <= 0 ? ' stale' : ''), [text]);
    if (metric.expiresInMs <= 0) td.title = 'expired ' + fmtDuration(-metric.expiresInMs) + ' ago';
    return td;
  }

  function tagsCell (view) {
    var td = el('td', 'tags', []);
    Object.keys(view.metrics).sort().forEach(function (name) {
      var metric = view.metrics[name];
      if (name.indexOf('tag:') === 0) td.appendChild(el('span', 'chip', [name.slice(4) + '=' + fmtValue(metric.value)]));
      else if (!BUILTIN[name]) td.appendChild(el('span', 'chip custom', [name + '=' + fmtValue(metric.value)]));
    });
    return td;
  }

  function ageOf (entry) {
    return entry.view.lastSeenAgoMs + (performance.now() - entry.fetchedAt);
  }

  function renderTable () {
    var body = $('peers');
    var list = Array.from(peers.values()).sort(function (a, b) {
      var s = STATE_ORDER[a.view.state] - STATE_ORDER[b.view.state];
      return s !== 0 ? s : (a.view.peer < b.view.peer ? -1 : 1);
    });
    var rows = list.map(function (entry) {
      var view = entry.view;
      var tr = el('tr', view.state, []);
      tr.dataset.peer = view.peer;
      tr.dataset.state = view.state;
      tr.appendChild(el('td', 'health', []));
      var id = el('td', 'mono', [shortPeer(view.peer)]);
      id.title = view.peer;
      tr.appendChild(id);
      var state = el('td', '', [el('span', 'state ' + view.state, [view.state])]);
      if (view.state === 'alerting' && view.alerting.length) state.appendChild(el('span', 'why', [view.alerting.join(', ')]));
      tr.appendChild(state);
      entry.ageCell = el('td', 'num', [fmtDuration(ageOf(entry))]);
      tr.appendChild(entry.ageCell);
      tr.appendChild(el('td', '', [view.connected ? 'yes' : 'no']));
      tr.appendChild(metricCell(view.metrics.load, false));
      tr.appendChild(metricCell(view.metrics.memory, true));
      tr.appendChild(metricCell(view.metrics.freespace, true));
      tr.appendChild(metricCell(view.metrics.peers, false));
      tr.appendChild(tagsCell(view));
      var med = median(entry.intervals);
      tr.appendChild(el('td', 'spark-cell', [sparkline(entry), el('span', 'median', [isFinite(med) ? fmtDuration(med) : ''])]));
      return tr;
    });
    body.replaceChildren.apply(body, rows);
    $('no-peers').hidden = rows.length > 0;
    var counts = { alive: 0, alerting: 0, left: 0 };
    list.forEach(function (entry) { counts[entry.view.state]++; });
    Object.keys(counts).forEach(function (state) { $('count-' + state).textContent = String(counts[state]); });
    document.title = (counts.alerting ? '(' + counts.alerting + ' alerting) ' : '') + 'peermon';
  }

  function tick () {
    peers.forEach(function (entry) { if (entry.ageCell) entry.ageCell.textContent = fmtDuration(ageOf(entry)); });
  }

  /**
   * Reloads the peer list (each second) and, every few seconds or when asked,
   * each peer's windows for its sparkline.
   */
  function refresh (withDetails) {
    if (refreshing) { again = true; againDetails = againDetails || !!withDetails; return; }
    refreshing = true;
    api('/peers').then(function (list) {
      var fetchedAt = performance.now();
      var details = withDetails || fetchedAt - lastDetailsAt >= DETAILS_MS;
      if (details) lastDetailsAt = fetchedAt;
      $('self').textContent = list.self;
      return Promise.all(list.peers.map(function (view) {
        if (!details && peers.has(view.peer)) return null;
        return api('/peers/' + encodeURIComponent(view.peer)).catch(function () { return null; });
      })).then(function (windows) {
        var next = new Map();
        list.peers.forEach(function (view, i) {
          var previous = peers.get(view.peer);
          var intervals = windows[i] ? intervalsOf(windows[i]) : (previous ? previous.intervals : []);
          next.set(view.peer, { view: view, fetchedAt: fetchedAt, intervals: intervals, ageCell: null });
        });
        peers = next;
        renderTable();
        showBanner('');
      });
    }).catch(function (err) {
      showBanner(describeError(err));
    }).then(function () {
      refreshing = false;
      if (again) {
        var details = againDetails;
        again = false;
        againDetails = false;
        refresh(details);
      }
    });
  }

  function feedDetail (line) {
    switch (line.event) {
      case 'alert': return (line.metric || '') + ' expired, silent ' + fmtDuration(line.silentMs) + ' (ttl ' + fmtDuration(line.ttlMs) + ')';
      case 'recovered': return (line.metric || '') + ' back after ' + fmtDuration(line.downMs);
      case 'forgotten': return 'silent ' + fmtDuration(line.silentMs);
      case 'left': return 'left gracefully';
      case 'joined': return 'first report';
      default: return '';
    }
  }

  function feedItem (line) {
    var li = el('li', line.event, [
      el('span', 'time', [clock(line.ts)]),
      el('span', 'what', [line.event]),
      el('span', 'mono', [shortPeer(line.peer)]),
      el('span', 'detail', [feedDetail(line)])
    ]);
    li.dataset.event = line.event;
    li.dataset.peer = line.peer || '';
    li.title = line.ts + ' ' + (line.peer || '');
    return li;
  }

  /**
   * Merges events into the feed, newest first, without duplicates: the history
   * (loaded at start and after a reconnect) and the stream may overlap and
   * arrive in either order.
   */
  function mergeFeed (lines) {
    lines.forEach(function (line) {
      var key = line.ts + ' ' + line.event + ' ' + (line.peer || '') + ' ' + (line.metric || '');
      if (feedKeys.has(key)) return;
      feedKeys.add(key);
      feedLines.push(line);
    });
    feedLines.sort(function (a, b) { return a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0; });
    feedLines.splice(FEED_MAX).forEach(function (line) {
      feedKeys.delete(line.ts + ' ' + line.event + ' ' + (line.peer || '') + ' ' + (line.metric || ''));
    });
    var feed = $('feed');
    feed.replaceChildren.apply(feed, feedLines.map(feedItem));
    $('no-events').hidden = feedLines.length > 0;
  }

  function loadHistory () {
    return api('/alerts?limit=' + FEED_MAX).then(function (res) {
      mergeFeed(res.events);
    }).catch(function (err) { showBanner(describeError(err)); });
  }

  function follow () {
    var live = $('live');
    var url = API + '/events?type=joined,alert,recovered,left,forgotten' + (token ? '&token=' + encodeURIComponent(token) : '');
    var source = new EventSource(url);
    var dropped = false;
    source.onopen = function () {
      live.className = 'live on';
      live.textContent = 'live';
      if (dropped) { dropped = false; loadHistory(); refresh(true); }
    };
    source.onerror = function () {
      dropped = true;
      live.className = 'live off';
      live.textContent = 'reconnecting\\u2026';
    };
    ['joined', 'alert', 'recovered', 'left', 'forgotten'].forEach(function (type) {
      source.addEventListener(type, function (message) {
        var line;
        try { line = JSON.parse(message.data); } catch (e) { return; }
        if (!line || typeof line.event !== 'string') return;
        mergeFeed([line]);
        clearTimeout(eventTimer);
        eventTimer = setTimeout(function () { refresh(true); }, 150);
      });
    });
  }

  loadHistory();
  refresh(true);
  follow();
  setInterval(function () { refresh(false); }, REFRESH_MS);
  setInterval(tick, 250);
})();
`

const BODY = `
<header>
  <h1>peermon</h1>
  <span class="self" title="the daemon serving this page">as seen by <span id="self">…</span></span>
  <span id="live" class="live">connecting…</span>
  <div class="counts">
    <span class="count alive"><b id="count-alive">0</b> alive</span>
    <span class="count alerting"><b id="count-alerting">0</b> alerting</span>
    <span class="count left"><b id="count-left">0</b> left</span>
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
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>peermon</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>${BODY}<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`
