/** The dashboard page's stylesheet (inlined by dashboard-page.ts; its hash goes into the CSP). */
export const DASHBOARD_STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2430; --muted: #6b7280; --line: #e3e6eb;
  --alive: #1f9d55; --alerting: #d93f3f; --left: #9aa1ab; --joined: #2f6fd6; --chip: #eef1f5;
  --alerting-bg: #fdeeee; --flapping: #c77700;
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
.count.conns.short b { color: var(--alerting); }
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
.state.flapping { margin-left: 6px; background: var(--flapping); }
.state.unconfirmed { margin-left: 6px; background: var(--left); }
.state.self-degraded, .state.self-isolated { margin-left: 6px; background: var(--flapping); }
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
#feed li.flapping .what { color: var(--flapping); } #feed li.stable .what { color: var(--alive); }
#feed .detail { color: var(--muted); font-size: 12px; grid-column: 2 / 4; }
#banner { display: none; margin: 16px 20px 0; padding: 10px 14px; border-radius: 8px; background: var(--alerting-bg); border: 1px solid var(--alerting); }
#banner.show { display: block; }
`
