/**
 * `GET /metrics`: the monitor's view in the Prometheus text format. Every
 * metric lives in a registry of its own (several daemons or tests in one
 * process must not collide in prom-client's global one); libp2p's own metrics
 * (`@libp2p/prometheus-metrics`, see createNode's `metricsRegistry`) and the
 * process metrics go into the same registry.
 */
import { performance } from 'node:perf_hooks'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { Counters, MonitoredPeer, PressureView } from '../monitor/core-api.js'
import type { CrowdedEvent, DegradedReason, MonitorEvent, PeerState } from '../monitor/types.js'
import type { LocalCondition } from '../monitor/local-health.js'
import type { ConnectionsView } from './types.js'

/** A registry with the process metrics (`process_*`, `nodejs_*`) in it. */
export function createMetricsRegistry (): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}

/** What the exporter reads at each scrape. */
export interface PrometheusSource {
  peers: () => MonitoredPeer[]
  counters: () => Counters
  /** Reports this node has published. */
  published: () => number
  /** Open event streams. */
  eventStreams: () => number
  /** This node's own condition (local health). */
  localCondition: () => LocalCondition
  /** The byte budget of peer state and admission (absent: no such gauges). */
  pressure?: () => PressureView | undefined
  /** The daemon's connections and the degree it keeps (absent: no such metrics). */
  connections?: () => ConnectionsView
}

const CONDITIONS: readonly LocalCondition[] = ['healthy', 'degraded', 'isolated']
const PEER_STATES: readonly PeerState[] = ['alive', 'alerting', 'left']
const CROWDED_REASONS: ReadonlyArray<CrowdedEvent['reason']> = ['budget', 'admission', 'silent']
const DEGRADED_REASONS: readonly DegradedReason[] = ['stall', 'overload', 'receive', 'isolated']

export interface PeermonMetricsInit {
  registry: Registry
  source: PrometheusSource
  /** Labels of `peermon_info`. */
  info: { peer: string, version: string, topic: string }
  /** Monotonic clock of the monitor (default performance.now()). */
  now?: () => number
}

const STATES: readonly PeerState[] = ['alive', 'alerting', 'left']

/**
 * The `peermon_*` metrics. Gauges of peers and counters of reports are read
 * from the monitor at scrape time; alerts and recoveries are counted as the
 * events happen ({@link observe}).
 */
export class PeermonMetrics {
  private readonly alerts: Counter<'metric'>
  private readonly recoveries: Counter<'metric'>
  private readonly degraded: Counter<'reason'>
  private readonly flaps: Counter
  private readonly crowded: Counter<'reason'>

  constructor (init: PeermonMetricsInit) {
    const { registry, source } = init
    const now = init.now ?? (() => performance.now())
    const registers = [registry]

    new Gauge({ name: 'peermon_info', help: 'This node: peer id, peermon version and topic (always 1)', labelNames: ['peer', 'version', 'topic'], registers })
      .set(init.info, 1)

    // One read of the peers per scrape, shared by the gauges that need it.
    let scrape: { at: number, peers: MonitoredPeer[] } | undefined
    const peers = (): MonitoredPeer[] => {
      const at = now()
      if (scrape === undefined || at - scrape.at > 100) scrape = { at, peers: source.peers() }
      return scrape.peers
    }

    new Gauge({
      name: 'peermon_peers',
      help: 'Monitored peers by state (alive, alerting, left)',
      labelNames: ['state'],
      registers,
      collect () {
        const count: Record<PeerState, number> = { alive: 0, alerting: 0, left: 0 }
        for (const peer of peers()) count[peer.state]++
        for (const state of STATES) this.set({ state }, count[state])
      }
    })
    new Gauge({
      name: 'peermon_peers_flapping',
      help: 'Monitored peers flapping now (going into and out of alert; their hooks are held)',
      registers,
      collect () {
        let n = 0
        for (const peer of peers()) if (peer.flapping) n++
        this.set(n)
      }
    })
    new Gauge({
      name: 'peermon_peer_last_report_age_seconds',
      help: 'Seconds since the last accepted report of each monitored peer',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        for (const peer of peers()) this.set({ peer: peer.peer }, peer.lastSeenAgoMs / 1000)
      }
    })
    new Gauge({
      name: 'peermon_peer_metric',
      help: 'Latest unexpired value of each numeric metric of each monitored peer, as the peer reported it',
      labelNames: ['peer', 'name'],
      registers,
      collect () {
        this.reset()
        const at = now()
        for (const peer of peers()) {
          for (const metric of Object.values(peer.metrics)) {
            if (typeof metric.value === 'number' && metric.expiresAt > at) this.set({ peer: peer.peer, name: metric.name }, metric.value)
          }
        }
      }
    })
    new Gauge({
      name: 'peermon_peer_state',
      help: 'State of each monitored peer: 1 for the one it is in (alive, alerting: its metrics expired, left: it said goodbye), 0 for the others',
      labelNames: ['peer', 'state'],
      registers,
      collect () {
        this.reset()
        for (const peer of peers()) for (const state of PEER_STATES) this.set({ peer: peer.peer, state }, peer.state === state ? 1 : 0)
      }
    })
    new Gauge({
      name: 'peermon_peer_flapping',
      help: 'Whether each monitored peer is flapping (1: it went down and back too often lately; its alerts are held back) or not (0)',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        for (const peer of peers()) this.set({ peer: peer.peer }, peer.flapping ? 1 : 0)
      }
    })
    new Gauge({
      name: 'peermon_peer_connected',
      help: 'Whether this node holds a libp2p connection to each monitored peer (1) or not (0)',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        for (const peer of peers()) this.set({ peer: peer.peer }, peer.connected ? 1 : 0)
      }
    })

    const counted = (name: string, help: string, read: (c: Counters) => number): void => {
      new Counter({ name, help, registers, collect () { this.reset(); this.inc(read(source.counters())) } })
    }
    counted('peermon_reports_received_total', 'Reports received on the topic', c => c.received)
    counted('peermon_reports_accepted_total', 'Reports accepted into the windows', c => c.accepted)
    new Counter({
      name: 'peermon_reports_dropped_total',
      help: 'Reports dropped, by reason',
      labelNames: ['reason'],
      registers,
      collect () {
        this.reset()
        for (const [reason, n] of Object.entries(source.counters().dropped)) this.inc({ reason }, n)
      }
    })
    counted('peermon_metrics_refused_total', 'Metrics refused inside accepted reports (new names beyond the per-peer bound)', c => c.refusedMetrics ?? 0)
    new Counter({ name: 'peermon_reports_published_total', help: 'Reports this node has published', registers, collect () { this.reset(); this.inc(source.published()) } })
    this.alerts = new Counter({ name: 'peermon_alerts_total', help: 'Alerts raised, by metric', labelNames: ['metric'], registers })
    this.recoveries = new Counter({ name: 'peermon_recoveries_total', help: 'Recoveries after an alert, by metric', labelNames: ['metric'], registers })
    // The heartbeat's series exist from the start, so rate() and increase() work from the first alert.
    this.alerts.inc({ metric: 'ping' }, 0)
    this.recoveries.inc({ metric: 'ping' }, 0)
    this.flaps = new Counter({ name: 'peermon_flaps_total', help: 'Times a peer started flapping (flapping events)', registers })
    new Gauge({ name: 'peermon_api_event_streams', help: 'Open /api/v0/events streams', registers, collect () { this.set(source.eventStreams()) } })
    new Gauge({
      name: 'peermon_local_health',
      help: 'This node\'s own condition: 1 for the one it is in (healthy, degraded: judging its peers waits, isolated: it hears no peer)',
      labelNames: ['condition'],
      registers,
      collect () {
        const condition = source.localCondition()
        for (const c of CONDITIONS) this.set({ condition: c }, c === condition ? 1 : 0)
      }
    })
    const connections = source.connections
    if (connections !== undefined) {
      new Gauge({ name: 'peermon_connections', help: 'Peers this node holds a connection to', registers, collect () { this.set(connections().connected) } })
      new Gauge({ name: 'peermon_connections_target', help: 'Connections this node keeps, at least (--min-connections): below it, it dials peers it knows of', registers, collect () { this.set(connections().target) } })
      new Gauge({ name: 'peermon_connections_short', help: '1 while this node is below its connection target with no known peer to dial', registers, collect () { this.set(connections().short ? 1 : 0) } })
      new Counter({
        name: 'peermon_connection_dials_total',
        help: 'Dials to known peers to keep the connection target, by result (bootstrap dials not included)',
        labelNames: ['result'],
        registers,
        collect () {
          const { dials } = connections()
          this.reset()
          this.inc({ result: 'ok' }, dials.ok)
          this.inc({ result: 'failed' }, dials.failed)
        }
      })
    }
    const pressure = (read: (p: PressureView) => number) => function (this: Gauge) {
      const view = source.pressure?.()
      if (view !== undefined) this.set(read(view))
    }
    /** One series per label value, from the pressure view (none while there is no view). */
    const pressureSeries = (label: string, read: (p: PressureView) => Record<string, number>) => function (this: Gauge) {
      const view = source.pressure?.()
      if (view === undefined) return
      this.reset()
      for (const [value, n] of Object.entries(read(view))) this.set({ [label]: value }, n)
    }
    new Gauge({ name: 'peermon_state_budget_bytes', help: 'Byte budget of peer state (--peer-state-budget)', registers, collect: pressure(p => p.budgetBytes) })
    new Gauge({
      name: 'peermon_state_bytes',
      help: 'Peer state held, estimated, by account (peers: records and windows; others, e.g. replay)',
      labelNames: ['account'],
      registers,
      collect: pressureSeries('account', p => p.accounts)
    })
    new Gauge({ name: 'peermon_state_unconfirmed_bytes', help: 'Peer state held by unconfirmed peers, estimated (bounded by a share of the budget)', registers, collect: pressure(p => p.unconfirmedBytes) })
    new Gauge({
      name: 'peermon_peers_confirmed',
      help: 'Monitored peers by whether they are confirmed (connected, allow-listed, or heard through two neighbours)',
      labelNames: ['confirmed'],
      registers,
      collect: pressureSeries('confirmed', p => ({ yes: p.confirmedPeers, no: p.unconfirmedPeers }))
    })
    new Gauge({ name: 'peermon_admission_waiting', help: 'New peers heard from and not admitted (yet)', registers, collect: pressure(p => p.waiting) })
    new Counter({
      name: 'peermon_peers_admitted_total',
      help: 'New peers admitted, by whether they were confirmed then (refused ones: peermon_reports_dropped_total{reason="admission"|"budget"|"capacity"})',
      labelNames: ['confirmed'],
      registers,
      collect () {
        const { admitted } = source.counters()
        this.reset()
        this.inc({ confirmed: 'yes' }, admitted?.confirmed ?? 0)
        this.inc({ confirmed: 'no' }, admitted?.unconfirmed ?? 0)
      }
    })
    counted('peermon_peers_evicted_total', 'Silent peers evicted to make room (byte budget or peer count)', c => c.evicted ?? 0)
    counted('peermon_metrics_refused_budget_total', 'Metrics refused inside accepted reports for the byte budget (new names while it is full)', c => c.refusedMetricsBudget ?? 0)
    counted('peermon_alerts_muted_total', 'Alerts on unconfirmed peers counted in a crowded event instead of raised', c => c.mutedAlerts ?? 0)
    this.crowded = new Counter({ name: 'peermon_crowded_total', help: 'crowded events, by reason (budget, admission: a bound started binding; silent: muted alerts summed up)', labelNames: ['reason'], registers })
    this.degraded = new Counter({ name: 'peermon_local_degraded_total', help: 'Times this node saw that it was itself the problem, by reason (stall, overload, receive, isolated)', labelNames: ['reason'], registers })
    // Every reason's series exists from the start, so increase() counts the first event too.
    for (const reason of CROWDED_REASONS) this.crowded.inc({ reason }, 0)
    for (const reason of DEGRADED_REASONS) this.degraded.inc({ reason }, 0)
  }

  /** Counts alert, recovered, flapping, degraded and isolated events. */
  observe (event: MonitorEvent | { type: string }): void {
    const e = event as MonitorEvent
    if (e.type === 'alert') this.alerts.inc({ metric: e.metric })
    else if (e.type === 'recovered') this.recoveries.inc({ metric: e.metric })
    else if (e.type === 'flapping') this.flaps.inc()
    else if (e.type === 'degraded') this.degraded.inc({ reason: e.reason })
    else if (e.type === 'isolated') this.degraded.inc({ reason: 'isolated' })
    else if (e.type === 'crowded') this.crowded.inc({ reason: e.reason })
  }
}
