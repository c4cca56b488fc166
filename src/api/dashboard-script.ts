/**
 * The dashboard page's script (inlined by dashboard-page.ts; its hash goes into the CSP).
 * Plain ES2020 in one IIFE: it avoids backticks and `${` so it can live in this template.
 * Values from peers only ever reach the DOM as text (textContent), never as markup.
 */
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
