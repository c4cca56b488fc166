/** A scenario result as a table per survivor plus one summary line (pure). */
import type { ScenarioResult, Spread } from './assessment.js'
import { formatColumns, formatMs, shortPeer } from '../terminal-view/format.js'

export function renderScenarioResult (result: ScenarioResult): string[] {
  const hang = result.scenario === 'hang'
  const header = ['node', 'peer', 'detected', 'lag after expiry', 'action→detection', ...(hang ? ['recovered'] : []), 'false alerts', 'result']
  const rows = result.survivors.map((s) => [
    String(s.node),
    shortPeer(s.peer),
    s.detected ?? 'MISSED',
    formatMs(s.lagMs),
    formatMs(s.detectMs),
    ...(hang ? [s.recovered === true ? `yes (down ${formatMs(s.downMs)})` : 'NO'] : []),
    String(s.falseAlerts),
    s.ok ? 'ok' : `FAIL: ${s.problems.join('; ')}`
  ])
  return [...formatColumns([header, ...rows]), '', summaryLine(result)]
}

export function summaryLine (result: ScenarioResult): string {
  const n = result.survivors.length
  const parts = [
    `${result.scenario} of node ${result.victim.index} (${shortPeer(result.victim.peer)})`,
    `detected ${result.detected}/${n}`,
    ...(result.lag === null ? [] : [`lag after expiry ${spreadText(result.lag)}`]),
    ...(result.detection === null ? [] : [`detection ${spreadText(result.detection)}`]),
    ...(result.scenario === 'hang' ? [`recovered ${result.survivors.filter((s) => s.recovered === true).length}/${n}`] : []),
    `false alerts ${result.falseAlerts}`
  ]
  return `${parts.join(', ')}: ${result.pass ? 'PASS' : 'FAIL'}`
}

function spreadText (spread: Spread): string {
  return `p50 ${formatMs(spread.p50)} p99 ${formatMs(spread.p99)} max ${formatMs(spread.max)}`
}
