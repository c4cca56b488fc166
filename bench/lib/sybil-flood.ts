/**
 * A Sybil flood against a swarm of real daemons (issue 13), shared by
 * bench/sybil.ts and test/serial/sybil-flood.test.ts.
 *
 * `nodes` daemons (a process each, loopback, `--api 127.0.0.1:0`, an
 * `--on-alert` hook that appends a line to a file) form a swarm; a rogue
 * (test/helpers/rogue.ts) connects to daemon 0 only and sends full reports
 * (64 names: a heartbeat and 63 texts of 256 characters, declared interval
 * 100 ms) each signed by a freshly invented identity, paced (`rate` a second)
 * or unpaced (as fast as its connection takes them). During the flood:
 * `joiners` honest daemons join (how long until every other daemon monitors
 * them) and the last initial daemon is SIGKILLed (how long until each
 * survivor alerts). After the flood: how many alerts and hook runs the
 * invented peers still cause; then, once daemon 0 has forgotten the killed
 * daemon, the rogue replays that daemon's captured signed reports to it
 * (refused, or accepted as a returning peer). Throughout: every daemon's RSS
 * (/proc) and heap (`nodejs_heap_size_used_bytes` on /metrics), its peers by
 * state, drops by reason, the budget and admission series it has
 * (`peermon_state_*`, `peermon_admission_*`, ...), and whether it crashed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DaemonChild, describeExit, type NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { daemonEnv } from '../../src/swarm/launch/daemon-process.js'
import { Report as WireReport } from '../../src/monitor/pb/report.js'
import { SEEN_TTL_MS } from '../../src/libp2p/gossip-tuning.js'
import { RogueNode } from '../../test/helpers/rogue.js'
import { sampleProcess } from './proc.js'

export interface FloodOptions {
  /** Daemons at the start (default 4); the last one is killed during the flood. */
  nodes?: number
  /** Honest daemons that join during the flood (default 2). */
  joiners?: number
  /** How long the rogue floods (ms). */
  durationMs: number
  /** Reports a second, or 'unpaced': as fast as the rogue's connection takes them. */
  rate: number | 'unpaced'
  intervalMs?: number
  ttlMs?: number
  /** The daemons' --retention (ms; default 60 s, so the killed daemon is forgotten within the run). */
  retentionMs?: number
  /** Observation after the flood stops, before the replay (ms; default 2 TTLs + 10 s). */
  afterMs?: number
  /** Skip the replay after forgetting (default false). */
  noReplay?: boolean
  /** bin/peermon.js of the daemons (default this package's): another build's, for a before/after. */
  binPath?: string
  /** Extra daemon flags. */
  daemonArgs?: string[]
  /** Extra environment of the daemons, e.g. PEERMON_GOSSIPSUB. */
  daemonEnv?: Record<string, string>
  /**
   * The daemons' gossipsub seen-cache TTL (ms; default peermon's 30 s): the replay
   * waits until the victim's last message is older, so that gossipsub's
   * duplicate check does not hide what the monitor does with it.
   */
  seenTtlMs?: number
  log?: (line: string) => void
}

/** One sample of one daemon. */
export interface DaemonSample {
  /** Seconds since the flood started (negative: before). */
  t: number
  rssMiB?: number
  heapMiB?: number
  alive?: number
  alerting?: number
}

export interface DaemonFigures {
  index: number
  role: 'target' | 'honest' | 'victim' | 'joiner'
  samples: DaemonSample[]
  maxRssMiB: number
  maxHeapMiB: number
  /** Exit, when it ended before the run did (the victim's SIGKILL excluded). */
  crashed?: string
  /** Reports accepted, at the last scrape (from /metrics). */
  accepted: number
  /** Drops by reason at the end (from /metrics). */
  dropped: Record<string, number>
  /** The budget and admission series (peermon_state_*, peermon_admission*, ...) at the last scrape. */
  budget: Record<string, number>
  /** Alerts about invented peers: during the flood, after it stopped. */
  inventedAlerts: { during: number, after: number }
  /** Hook runs (lines the --on-alert hook wrote) about invented peers: during, after. */
  inventedHooks: { during: number, after: number }
  /** Hook runs dropped or failed (warnings about hooks). */
  hookWarnings: number
  /** Every event line it printed, by type (joined, alert, forgotten, degraded, ...). */
  eventCounts: Record<string, number>
}

export interface FloodResult {
  rate: number | 'unpaced'
  durationMs: number
  nodes: number
  intervalMs: number
  ttlMs: number
  retentionMs: number
  /** Reports the rogue sent, and a second. */
  sent: number
  /** Times the rogue found its stream to daemon 0 closed and dialled again. */
  redials: number
  sentPerSecond: number
  daemons: DaemonFigures[]
  /** Per joiner: ms from its listening line until every other running daemon printed `joined` for it; undefined: never. */
  joinMs: Array<number | undefined>
  /** Honest peers forgotten (evicted) while alive, per daemon: `daemon: peer`. */
  honestEvicted: string[]
  /** Alerts about honest peers other than the victim (false alerts). */
  falseAlerts: number
  /** Per survivor: ms from the SIGKILL to its alert for the victim; undefined: none. */
  crashAlertMs: Array<number | undefined>
  /** The replay of the victim's captured reports after daemon 0 forgot it. */
  replay: { tried: boolean, sent: number, refusedAsReplay: number, rejoined: boolean, note?: string }
}

/** The budget and admission series of /metrics (issue 13), read when a daemon has them. */
const BUDGET_SERIES = ['peermon_state_', 'peermon_admission', 'peermon_peers_confirmed', 'peermon_peers_admitted', 'peermon_crowded', 'peermon_budget']

const NAMES = 64
const TEXT = 256

/** A full report of a fresh identity: a heartbeat and 63 texts of 256 characters, declared interval 100 ms. */
function inventedReport (peer: string, n: number, ttlMs: number): Uint8Array {
  const metrics: Array<{ name: string, number?: number, text?: string, ttlMs: number }> = [{ name: 'ping', number: 1, ttlMs }]
  const tail = `-${peer.slice(-12)}-${n}`
  for (let i = 1; i < NAMES; i++) metrics.push({ name: `sybil.m${i}`, text: `${'x'.repeat(TEXT - tail.length - 3)}${String(i).padStart(3, '0')}${tail}`, ttlMs })
  const now = Date.now()
  return WireReport.encode({ version: 1, kind: 0, peer, epoch: BigInt(now), seq: 1n, sentAt: BigInt(now), intervalMs: 100, metrics })
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Values of the series of a Prometheus text whose names start with one of `prefixes` (labels kept in the key). */
function series (text: string, prefixes: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !prefixes.some((p) => line.startsWith(p))) continue
    const space = line.lastIndexOf(' ')
    out[line.slice(0, space)] = Number(line.slice(space + 1))
  }
  return out
}

interface Daemon {
  index: number
  role: DaemonFigures['role']
  child: DaemonChild
  id: string
  api: string
  hookFile: string
  figures: DaemonFigures
}

export async function runFlood (o: FloodOptions): Promise<FloodResult> {
  const nodes = o.nodes ?? 4
  const joiners = o.joiners ?? 2
  const intervalMs = o.intervalMs ?? 1000
  const ttlMs = o.ttlMs ?? 3000
  const retentionMs = o.retentionMs ?? 60_000
  const afterMs = o.afterMs ?? 2 * ttlMs + 10_000
  const log = o.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'peermon-sybil-'))
  const daemons: Daemon[] = []
  const honest = new Set<string>()
  /** Events about honest peers (every daemon's), kept; those about invented peers are only counted. */
  const events: NodeEvent[] = []
  let rogue: RogueNode | undefined
  let floodStart = Infinity
  let floodStop = Infinity
  let stopFlood = false
  let sent = 0
  let redials = 0

  const start = async (index: number, role: Daemon['role'], bootstrap: Daemon[]): Promise<Daemon> => {
    const hookFile = join(dir, `hooks-${index}.log`)
    const child = new DaemonChild({
      index,
      binPath: o.binPath,
      args: [
        '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0',
        '--interval', `${intervalMs}ms`, '--ttl', `${ttlMs}ms`, '--retention', `${retentionMs}ms`,
        '--on-alert', `echo "$PEERMON_PEER" >> '${hookFile}'`,
        ...bootstrap.flatMap((b) => ['--bootstrap', b.child.dialAddr as string]),
        ...o.daemonArgs ?? []
      ],
      env: { ...daemonEnv(process.env), ...o.daemonEnv }
    })
    const figures: DaemonFigures = {
      index, role, samples: [], maxRssMiB: 0, maxHeapMiB: 0, accepted: 0, dropped: {}, budget: {},
      inventedAlerts: { during: 0, after: 0 }, inventedHooks: { during: 0, after: 0 }, hookWarnings: 0, eventCounts: {}
    }
    let api = ''
    child.onEvent((event) => {
      const e = event.event
      figures.eventCounts[e.event] = (figures.eventCounts[e.event] ?? 0) + 1
      if (process.env.SYBIL_DEBUG !== undefined && e.event !== 'joined') log(`daemon ${index}: ${JSON.stringify(e).slice(0, 300)}`)
      if (e.event === 'listening' && typeof e.api === 'string') api = e.api
      if (e.event === 'warning' && /hook/i.test(JSON.stringify(e))) figures.hookWarnings++
      const peer = typeof e.peer === 'string' ? e.peer : undefined
      if (peer !== undefined && !honest.has(peer) && peer !== rogue?.id) {
        // An invented peer: counted, not kept (there are thousands).
        if (e.event === 'alert') {
          if (event.receivedAt < floodStop) figures.inventedAlerts.during++
          else figures.inventedAlerts.after++
        }
        return
      }
      events.push(event)
    })
    const { peer } = await child.whenListening(60_000)
    honest.add(peer)
    const d: Daemon = { index, role, child, id: peer, api, hookFile, figures }
    daemons.push(d)
    return d
  }

  const at = (): number => (performance.now() - floodStart) / 1000
  const sample = async (d: Daemon, scrape: boolean): Promise<void> => {
    if (d.child.exit !== undefined || d.child.pid === undefined) return
    const s: DaemonSample = { t: Number.isFinite(floodStart) ? Math.round(at() * 10) / 10 : 0 }
    const proc = sampleProcess(d.child.pid)
    if (proc !== undefined) s.rssMiB = proc.rssBytes / 2 ** 20
    if (scrape) {
      try {
        const text = await (await fetch(`${d.api}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
        const values = series(text, ['nodejs_heap_size_used_bytes', 'peermon_peers{', 'peermon_reports_dropped_total', 'peermon_reports_accepted_total', ...BUDGET_SERIES])
        const heap = values.nodejs_heap_size_used_bytes
        if (heap !== undefined) s.heapMiB = heap / 2 ** 20
        if (values.peermon_reports_accepted_total !== undefined) d.figures.accepted = values.peermon_reports_accepted_total
        s.alive = values['peermon_peers{state="alive"}']
        s.alerting = values['peermon_peers{state="alerting"}']
        for (const [key, value] of Object.entries(values)) {
          const reason = /^peermon_reports_dropped_total\{reason="([^"]+)"\}$/.exec(key)
          if (reason !== null) d.figures.dropped[reason[1]] = value
          else if (BUDGET_SERIES.some((prefix) => key.startsWith(prefix))) d.figures.budget[key] = value
        }
      } catch {}
    }
    d.figures.samples.push(s)
    d.figures.maxRssMiB = Math.max(d.figures.maxRssMiB, s.rssMiB ?? 0)
    d.figures.maxHeapMiB = Math.max(d.figures.maxHeapMiB, s.heapMiB ?? 0)
  }
  const joinedBy = (watcher: Daemon, peer: string, after = -Infinity): NodeEvent | undefined =>
    events.find((e) => e.node === watcher.index && e.event.event === 'joined' && e.event.peer === peer && e.receivedAt >= after)
  const hookLines = (d: Daemon): string[] => {
    try { return readFileSync(d.hookFile, 'utf8').split('\n').filter((l) => l !== '') } catch { return [] }
  }

  let sampler: NodeJS.Timeout | undefined
  try {
    // The swarm: daemon 0 (the rogue's target) and 1 first, the rest bootstrap to both.
    const first = await start(0, 'target', [])
    const second = await start(1, 'honest', [first])
    for (let i = 2; i < nodes; i++) await start(i, i === nodes - 1 ? 'victim' : 'honest', [first, second])
    const victim = daemons[nodes - 1]
    const deadline = performance.now() + 60_000 + nodes * 5_000
    while (!daemons.every((a) => daemons.every((b) => a === b || joinedBy(a, b.id) !== undefined))) {
      if (performance.now() > deadline) throw new Error('the swarm did not form (every daemon monitoring every other)')
      await sleep(200)
    }
    log(`${nodes} daemons formed a swarm`)

    rogue = await RogueNode.start()
    await rogue.connect(first.child.dialAddr as string)
    const r = rogue
    const captureDeadline = performance.now() + 30_000
    while ((r.captured.get(victim.id)?.length ?? 0) < 3) {
      if (performance.now() > captureDeadline) throw new Error('the rogue captured no report of the victim in 30 s')
      await sleep(200)
    }
    for (const d of daemons) await sample(d, true)

    // RSS every 2 s (/proc); every 5th sample also scrapes /metrics (heap, peers, drops), which costs the daemon more.
    let tick = 0
    sampler = setInterval(() => { const scrape = tick++ % 5 === 0; for (const d of daemons) void sample(d, scrape) }, 2_000)

    floodStart = performance.now()
    log(`flood ${o.rate === 'unpaced' ? 'unpaced' : `at ${o.rate}/s`} for ${o.durationMs / 1000} s`)
    /**
     * One invented signer's report. A 0 from publishAs means the rogue has no stream to daemon 0:
     * gossipsub closes an outbound stream whose queue overflows when the daemon reads slower than the
     * rogue writes. Then it dials again (at most once a second), as an attacker would, and counts it.
     */
    let redialAt = 0
    const sendOne = async (): Promise<void> => {
      const key = await generateKeyPair('Ed25519')
      const peer = peerIdFromPrivateKey(key).toString()
      if (await r.publishAs(key, inventedReport(peer, sent, ttlMs), [first.id]) > 0) {
        sent++
        return
      }
      if (performance.now() < redialAt) return
      redialAt = performance.now() + 1_000
      redials++
      try { await r.connect(first.child.dialAddr as string) } catch {}
    }
    const flood = (async () => {
      if (o.rate === 'unpaced') {
        while (!stopFlood) {
          await sendOne()
          await new Promise((resolve) => setImmediate(resolve))
        }
        return
      }
      const rate = o.rate
      const batch = Math.max(1, Math.round(rate / 10))
      for (let tickAt = performance.now(); !stopFlood; tickAt += batch * 1000 / rate) {
        for (let i = 0; i < batch; i++) await sendOne()
        await sleep(Math.max(0, tickAt + batch * 1000 / rate - performance.now()))
      }
    })()

    // During the flood: joiners at 1/4 and 1/2 of it, the kill at 1/3.
    const joinAt = Array.from({ length: joiners }, (_, k) => o.durationMs * (k + 1) / (joiners + 2))
    const killAt = o.durationMs / 3
    let killedAt = Infinity
    const joined: Array<{ d: Daemon, listeningAt: number }> = []
    const starting: Array<Promise<void>> = []
    const plan = [...joinAt.map((ms, k) => ({ ms, what: `join ${k}` })), { ms: killAt, what: 'kill' }].sort((a, b) => a.ms - b.ms)
    for (const step of plan) {
      await sleep(Math.max(0, floodStart + step.ms - performance.now()))
      if (step.what === 'kill') {
        killedAt = performance.now()
        victim.child.signal('SIGKILL')
        log(`${at().toFixed(0)} s: daemon ${victim.index} SIGKILLed`)
      } else {
        // Not awaited: a daemon can take many seconds to start on a busy machine, and the plan keeps its times.
        const index = nodes + starting.length
        starting.push(start(index, 'joiner', [daemons[1], daemons[2] ?? daemons[1]]).then((d) => {
          joined.push({ d, listeningAt: performance.now() })
          log(`${at().toFixed(0)} s: daemon ${d.index} joined the swarm (started at ${(step.ms / 1000).toFixed(0)} s)`)
        }))
      }
    }
    await sleep(Math.max(0, floodStart + o.durationMs - performance.now()))
    await Promise.all(starting)
    stopFlood = true
    floodStop = performance.now()
    await flood
    const hooksAtStop = new Map(daemons.map((d) => [d.index, hookLines(d).filter((p) => !honest.has(p)).length]))
    log(`flood stopped: ${sent} reports sent (${Math.round(sent / (o.durationMs / 1000))}/s); the rogue dialled again ${redials} times`)
    await sleep(afterMs)

    // The replay after forgetting: once daemon 0 printed `forgotten` for the victim.
    const replay: FloodResult['replay'] = { tried: false, sent: 0, refusedAsReplay: 0, rejoined: false }
    if (o.noReplay !== true) {
      const forgotten = (): NodeEvent | undefined => events.find((e) => e.node === 0 && e.event.event === 'forgotten' && e.event.peer === victim.id)
      const forgetDeadline = killedAt + retentionMs + 2 * ttlMs + 30_000
      while (forgotten() === undefined && performance.now() < forgetDeadline) await sleep(500)
      const forgot = forgotten()
      await sleep(Math.max(0, killedAt + (o.seenTtlMs ?? SEEN_TTL_MS) + 1_000 - performance.now()))
      if (forgot === undefined) {
        replay.note = `daemon 0 did not forget the victim within retention + ${(2 * ttlMs + 30_000) / 1000} s`
      } else {
        // The flood may have cost the rogue its stream to daemon 0: dial again if so.
        if (!r.topicPeers().includes(first.id)) {
          log('the rogue lost its stream to daemon 0 during the flood; dialling again')
          try {
            await r.connect(first.child.dialAddr as string)
            const redial = performance.now() + 15_000
            while (!r.topicPeers().includes(first.id) && performance.now() < redial) await sleep(200)
          } catch {}
        }
        await sample(first, true)
        const before = first.figures.dropped.replay ?? 0
        replay.tried = true
        replay.sent = r.replayRaw(victim.id, { to: [first.id] }) === 0 ? 0 : r.captured.get(victim.id)?.length ?? 0
        if (replay.sent === 0) replay.note = 'the rogue has no stream to daemon 0'
        await sleep(3_000)
        await sample(first, true)
        replay.refusedAsReplay = (first.figures.dropped.replay ?? 0) - before
        replay.rejoined = events.some((e) => e.event.event === 'joined' && e.event.peer === victim.id && e.receivedAt > forgot.receivedAt)
        log(`replay after forgetting: ${replay.sent} captured messages of the victim sent to daemon 0; ${replay.refusedAsReplay} dropped as replay; ${replay.rejoined ? 'the victim JOINED again' : 'the victim did not join again'}`)
      }
    }
    clearInterval(sampler)
    sampler = undefined
    for (const d of daemons) await sample(d, true)

    for (const d of daemons) {
      const lines = hookLines(d).filter((p) => !honest.has(p)).length
      const atStop = hooksAtStop.get(d.index) ?? 0
      d.figures.inventedHooks = { during: atStop, after: lines - atStop }
      if (d.child.exit !== undefined && d !== victim) d.figures.crashed = `${describeExit(d.child.exit)}${d.child.stderrSummary(5)}`
    }
    const survivors = daemons.filter((d) => d !== victim && d.child.exit === undefined)
    const crashAlertMs = daemons.filter((d) => d !== victim && d.role !== 'joiner').map((d) => {
      const alert = events.find((e) => e.node === d.index && e.event.event === 'alert' && e.event.peer === victim.id && e.receivedAt >= killedAt)
      return alert === undefined ? undefined : Math.round(alert.receivedAt - killedAt)
    })
    // From the later of the two starts: a watcher that joined after `d` sees it only once it runs itself.
    const startedAt = new Map(joined.map(({ d, listeningAt }) => [d, listeningAt]))
    const joinMs = joined.map(({ d, listeningAt }) => {
      const watchers = survivors.filter((w) => w !== d)
      const times = watchers.map((w) => {
        const seen = joinedBy(w, d.id)?.receivedAt
        return seen === undefined ? undefined : seen - Math.max(listeningAt, startedAt.get(w) ?? -Infinity)
      })
      if (times.some((t) => t === undefined)) return undefined
      return Math.round(Math.max(...times as number[]))
    })
    const honestEvicted = events.filter((e) => e.event.event === 'forgotten' && e.event.peer !== victim.id && honest.has(e.event.peer as string))
      .map((e) => `${e.node}: ${String(e.event.peer)}`)
    const falseAlerts = events.filter((e) => e.event.event === 'alert' && e.event.peer !== victim.id && honest.has(e.event.peer as string)).length
    return {
      rate: o.rate, durationMs: o.durationMs, nodes, intervalMs, ttlMs, retentionMs, sent, redials, sentPerSecond: sent / (o.durationMs / 1000),
      daemons: daemons.map((d) => d.figures), joinMs, honestEvicted, falseAlerts, crashAlertMs, replay
    }
  } finally {
    stopFlood = true
    if (sampler !== undefined) clearInterval(sampler)
    await Promise.allSettled([...daemons.map(async (d) => await d.child.stop()), rogue?.stop()])
    rmSync(dir, { recursive: true, force: true })
  }
}
