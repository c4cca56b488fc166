/**
 * End to end: four real `peermon daemon` processes and a rogue libp2p node
 * (test/helpers/rogue.ts) connected to each of them. The rogue captures the
 * honest reports, then one daemon is SIGKILLed while the rogue keeps
 * re-publishing and replaying the victim's reports, forges reports in its name,
 * sends every kind of garbage and floods reports of its own (with new metric
 * names) far faster than the interval they claim.
 *
 * Every survivor must alert for the victim within its usual bound, raise no
 * alert for any honest peer, keep running, stay within a memory bound, and
 * count the rogue's reports under the right drop reasons (read from its HTTP
 * API's /metrics).
 *
 * By default gossipsub scoring graylists the rogue about a second after its
 * rejected reports start (test/integration/rogue.test.ts shows it), and from
 * then on the daemons ignore it entirely. That would make this test easy, so
 * the daemons run with the topic's invalid-message penalty off
 * (PEERMON_GOSSIPSUB, the benchmarks' gossipsub knob): every bad report of
 * the whole run reaches their topic validators.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { performance } from 'node:perf_hooks'
import { DaemonChild } from '../../src/swarm/nodes/daemon-child.js'
import type { NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { daemonEnv } from '../../src/swarm/launch/daemon-process.js'
import { readRssKb } from '../../src/swarm/nodes/rss.js'
import { DEFAULT_TOPIC } from '../../src/constants.js'
import { RogueNode } from '../helpers/rogue.js'
import { sleep, waitFor } from '../helpers/wait.js'

const INTERVAL_MS = 500
const TTL_MS = 3000
/** An alert must come within the TTL plus this much after the kill (the swarm e2e test's slack; the TTL is 6 intervals, as the machine running tests may be busy). */
const DETECTION_SLACK_MS = 5000
/** How long the attack goes on after the kill. */
const ATTACK_AFTER_KILL_MS = 12_000
/** Resident memory bound of each survivor (a daemon with its HTTP API idles at roughly 100 MB). */
const RSS_BOUND_KB = 300 * 1024
/** Most a survivor's resident memory may grow during the attack. */
const RSS_GROWTH_BOUND_KB = 120 * 1024

const daemons: DaemonChild[] = []
let rogue: RogueNode | undefined
after(async () => {
  await Promise.allSettled([...daemons.map(async d => await d.stop()), rogue?.stop()])
})

interface Honest { child: DaemonChild, id: string, api: string }

/** Starts a daemon (HTTP API on a free loopback port, rogue's penalty off) and waits for its listening line. */
async function startDaemon (index: number, events: NodeEvent[], bootstrap: Honest[]): Promise<Honest> {
  const noPenalty = { scoreParams: { topics: { [DEFAULT_TOPIC]: { invalidMessageDeliveriesWeight: 0 } } } }
  const child = new DaemonChild({
    index,
    args: [
      '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0',
      '--interval', `${INTERVAL_MS}ms`, '--ttl', `${TTL_MS}ms`,
      ...bootstrap.flatMap(b => ['--bootstrap', b.child.dialAddr as string])
    ],
    env: { ...daemonEnv(process.env), PEERMON_GOSSIPSUB: JSON.stringify(noPenalty) }
  })
  daemons.push(child)
  let api: string | undefined
  child.onEvent((event) => {
    events.push(event)
    if (event.event.event === 'listening' && typeof event.event.api === 'string') api = event.event.api
  })
  const { peer } = await child.whenListening(30_000)
  assert.ok(api !== undefined, `daemon ${index} printed its API address`)
  return { child, id: peer, api }
}

/** The daemon's report counters, from the Prometheus text of its API. */
async function dropCounts (daemon: Honest): Promise<Record<string, number>> {
  const text = await (await fetch(`${daemon.api}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^peermon_reports_dropped_total\{reason="([^"]+)"\} (\d+)$/gm)) counts[match[1]] = Number(match[2])
  for (const match of text.matchAll(/^peermon_(reports_received|reports_accepted|metrics_refused)_total (\d+)$/gm)) counts[match[1]] = Number(match[2])
  return counts
}

describe('a rogue peer in a swarm of real daemons', { timeout: 240_000 }, () => {
  it('replays, forgeries, garbage and a flood neither hide a crash nor cause false alerts, and memory stays bounded', async (t) => {
    const events: NodeEvent[] = []
    const first = await startDaemon(0, events, [])
    const second = await startDaemon(1, events, [first])
    const rest = await Promise.all([2, 3].map(async i => await startDaemon(i, events, [first, second])))
    const nodes = [first, second, ...rest]
    const victim = nodes[3]
    const survivors = nodes.slice(0, 3)
    const joined = (watcher: Honest, peer: string): boolean =>
      events.some(e => e.node === watcher.child.index && e.event.event === 'joined' && e.event.peer === peer)
    await waitFor('every daemon monitors every other', () => nodes.every(a => nodes.every(b => a === b || joined(a, b.id))), 60_000)

    rogue = await RogueNode.start()
    const r = rogue
    for (const n of nodes) await r.connect(n.child.dialAddr as string)
    await waitFor('the rogue captured reports of every daemon', () => nodes.every(n => (r.captured.get(n.id)?.length ?? 0) >= 5), 30_000)

    const rssBefore = await Promise.all(survivors.map(async n => await readRssKb(n.child.pid)))
    const sent = { republished: 0, replayed: 0, forged: 0, garbage: 0, flood: 0 }
    let stop = false
    // The flood (about 100 reports/s claiming a 1 s interval, each with new metric names) and the
    // replays start before the kill and go on to the end. The rogue runs in this process, on the
    // daemons' machine: its own rates are kept moderate so its CPU use does not starve them.
    const flood = (async () => {
      while (!stop) {
        sent.flood += await r.flood({ count: 20, intervalMs: 1000, newNames: true, namesPerReport: 8 })
        sent.replayed += r.replayRaw(victim.id, { count: 20 })
        await sleep(200)
      }
    })()
    let attack: Promise<void> = Promise.resolve()
    try {
      await sleep(2_000)
      const killedAt = performance.now()
      assert.ok(victim.child.signal('SIGKILL'))
      attack = (async () => {
        for (let round = 0; !stop; round++) {
          sent.republished += await r.republish(victim.id, 5)
          if (await r.publishForged(victim.id)) sent.forged++
          sent.replayed += r.replayRaw(victim.id)
          if (round % 5 === 0) sent.garbage += await r.publishAllGarbage()
          await sleep(100)
        }
      })()

      const alerted = (n: Honest): NodeEvent | undefined =>
        events.find(e => e.node === n.child.index && e.event.event === 'alert' && e.event.peer === victim.id && e.receivedAt >= killedAt)
      await waitFor('every survivor alerts for the killed daemon', () => survivors.every(n => alerted(n) !== undefined), TTL_MS + DETECTION_SLACK_MS + 5_000)
      const lags = survivors.map(n => Math.round((alerted(n) as NodeEvent).receivedAt - killedAt))
      for (const lag of lags) assert.ok(lag < TTL_MS + DETECTION_SLACK_MS, `alert ${lag} ms after the kill; bound ttl + ${DETECTION_SLACK_MS} ms`)
      await sleep(Math.max(0, killedAt + ATTACK_AFTER_KILL_MS - performance.now()))
      const rssAfter = await Promise.all(survivors.map(async n => await readRssKb(n.child.pid)))
      stop = true
      await Promise.all([flood, attack])
      const counts = await Promise.all(survivors.map(async n => await dropCounts(n)))

      for (const [k, n] of survivors.entries()) {
        assert.equal(n.child.exit, undefined, `daemon ${k} still runs`)
        const mine = events.filter(e => e.node === n.child.index)
        const falseAlerts = mine.filter(e => e.event.event === 'alert' && e.event.peer !== victim.id && e.event.peer !== r.id)
        assert.deepEqual(falseAlerts.map(e => ({ ...e.event, about: nodes.findIndex(x => x.id === e.event.peer), afterKillMs: Math.round(e.receivedAt - killedAt) })), [],
          `daemon ${k} raised no alert for an honest peer; counters ${JSON.stringify(counts[k])}`)
        assert.equal(mine.filter(e => e.event.event === 'alert' && e.event.peer === victim.id).length, 1, `daemon ${k}: one alert for the victim`)
        assert.equal(mine.filter(e => e.event.event === 'recovered' && e.event.peer === victim.id).length, 0, `daemon ${k}: the victim never recovers`)
        for (const reason of ['peer-mismatch', 'malformed', 'oversize', 'invalid-value', 'invalid-ttl', 'invalid-name', 'too-many-metrics', 'rate']) {
          assert.ok((counts[k][reason] ?? 0) > 0, `daemon ${k} dropped reports as ${reason}: ${JSON.stringify(counts[k])}`)
        }
      }
      const rss = survivors.map((_, k) => ({ beforeKb: rssBefore[k], afterKb: rssAfter[k] }))
      for (const [k, { beforeKb, afterKb }] of rss.entries()) {
        if (afterKb === undefined || beforeKb === undefined) continue // not Linux
        assert.ok(afterKb < RSS_BOUND_KB, `daemon ${k}: RSS ${afterKb} kB under ${RSS_BOUND_KB} kB`)
        assert.ok(afterKb - beforeKb < RSS_GROWTH_BOUND_KB, `daemon ${k}: RSS grew ${afterKb - beforeKb} kB, under ${RSS_GROWTH_BOUND_KB} kB`)
      }
      const warnings = survivors.map(n => events.filter(e => e.node === n.child.index && e.event.event === 'warning').length)
      t.diagnostic(`detection lag ${lags.join(', ')} ms (ttl ${TTL_MS} ms); RSS ${rss.map(x => `${x.beforeKb}->${x.afterKb} kB`).join(', ')}; ` +
        `rogue sent ${JSON.stringify(sent)}; warnings ${warnings.join(', ')}`)
      for (const [k, c] of counts.entries()) t.diagnostic(`daemon ${k} counters: ${JSON.stringify(Object.fromEntries(Object.entries(c).filter(([, v]) => v > 0)))}`)
    } finally {
      stop = true
      await Promise.all([flood, attack])
    }
  })
})
