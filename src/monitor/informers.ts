import { statfs } from 'node:fs/promises'
import os from 'node:os'
import { DEFAULT_REPORT_LIMITS, validateMetric } from './report.js'
import type { ReportLimits } from './report.js'
import type { Metric, MetricValue } from './types.js'

/** Default TTL of the local node's metrics: 30 s. */
export const DEFAULT_METRIC_TTL_MS = 30_000

/** Names of the built-in metrics; custom metrics cannot use them. */
export const BUILTIN_METRICS = ['ping', 'load', 'memory', 'freespace', 'peers', 'health'] as const

/** An informer slower than this (ms) does not hold up the report: its last value goes out instead. */
export const DEFAULT_INFORMER_TIMEOUT_MS = 200

/** Prefix of static tag metrics: tag `zone=eu` is published as metric `tag:zone` = `eu`. */
export const TAG_PREFIX = 'tag:'

export interface InformersInit {
  /** TTL (ms) of every built-in metric and tag, and the default of custom metrics (default 30 s). */
  ttlMs?: number
  /** Directory whose file system's available bytes are the `freespace` metric; omitted → no `freespace`. */
  dataDir?: string
  /** Number of connected peers (open connections), the `peers` metric; omitted → no `peers`. */
  connectedPeers?: () => number | Promise<number>
  /** This node's own condition as a number (0 healthy, 1 degraded, 2 isolated), the `health` metric; omitted → no `health`. */
  localHealth?: () => number
  /** Static tags, published as text metrics named `tag:<key>`. */
  tags?: Record<string, string>
  /** Bounds every metric must satisfy, as receivers check them (default DEFAULT_REPORT_LIMITS). */
  limits?: Partial<ReportLimits>
  /** Told about an informer that threw or returned an invalid value; the metric is skipped. */
  onInformerError?: (name: string, err: unknown) => void
  /**
   * How long (ms) collect() waits for a slow informer (a `statfs` on a starved thread pool)
   * before publishing its last value, or skipping it; the heartbeat never waits longer. Default 200.
   */
  readTimeoutMs?: number
}

/** A source of one metric of the local node. */
interface Informer {
  name: string
  read: () => MetricValue | Promise<MetricValue>
}

/**
 * The local node's metrics, gathered for each report:
 * - `ping`: heartbeat, process uptime in seconds
 * - `load`: 1-minute load average (os.loadavg()[0])
 * - `memory`: available memory in bytes (os.freemem())
 * - `freespace`: available bytes on dataDir's file system (only with `dataDir`)
 * - `peers`: connected peers (only with `connectedPeers`)
 * - `health`: this node's own condition, 0 healthy, 1 degraded, 2 isolated (only with `localHealth`)
 * - `tag:<key>`: static tags (text)
 * - custom metrics set with setMetric()
 */
export class Informers {
  private readonly ttlMs: number
  private readonly limits: ReportLimits
  private readonly informers: Informer[] = []
  private readonly tags: Metric[] = []
  private readonly custom = new Map<string, Metric>()
  private readonly onInformerError: (name: string, err: unknown) => void
  private readonly readTimeoutMs: number
  /** Last good value of each informer, and its read still in flight, if any. */
  private readonly last = new Map<string, MetricValue>()
  private readonly inFlight = new Map<string, Promise<MetricValue | undefined>>()

  /** Throws RangeError on an invalid TTL or tag. */
  constructor (init: InformersInit = {}) {
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...init.limits }
    this.ttlMs = this.checked({ name: 'ping', value: 0, ttlMs: init.ttlMs ?? DEFAULT_METRIC_TTL_MS }, 'ttlMs').ttlMs
    this.onInformerError = init.onInformerError ?? (() => {})
    this.readTimeoutMs = init.readTimeoutMs ?? DEFAULT_INFORMER_TIMEOUT_MS
    this.informers.push(
      { name: 'ping', read: () => process.uptime() },
      { name: 'load', read: () => os.loadavg()[0] },
      { name: 'memory', read: () => os.freemem() }
    )
    const { dataDir, connectedPeers } = init
    if (dataDir != null) {
      this.informers.push({ name: 'freespace', read: async () => { const s = await statfs(dataDir); return s.bavail * s.bsize } })
    }
    if (connectedPeers != null) this.informers.push({ name: 'peers', read: connectedPeers })
    if (init.localHealth != null) this.informers.push({ name: 'health', read: init.localHealth })
    for (const [key, value] of Object.entries(init.tags ?? {})) {
      this.tags.push(this.checked({ name: TAG_PREFIX + key, value, ttlMs: this.ttlMs }, `tag ${JSON.stringify(key)}`))
    }
    this.checkRoom(0)
  }

  /**
   * Sets (or replaces) a custom metric published with every report until deleted.
   * Throws RangeError when the name, value or TTL would be dropped by receivers,
   * when the name is a built-in or tag name, or when reports would carry too many metrics.
   * @param ttlMs - time to live in ms (default: the init `ttlMs`)
   */
  setMetric (name: string, value: MetricValue, ttlMs: number = this.ttlMs): void {
    if ((BUILTIN_METRICS as readonly string[]).includes(name) || name.startsWith(TAG_PREFIX)) {
      throw new RangeError(`metric name ${JSON.stringify(name)} is reserved for built-in metrics and tags`)
    }
    const metric = this.checked({ name, value, ttlMs }, `metric ${JSON.stringify(name)}`)
    if (!this.custom.has(name)) this.checkRoom(1)
    this.custom.set(name, metric)
  }

  /** Stops publishing a custom metric. Returns false when it was not set. */
  deleteMetric (name: string): boolean {
    return this.custom.delete(name)
  }

  /** Reads every metric; an informer that throws or returns an invalid value is skipped. */
  async collect (): Promise<Metric[]> {
    const read = await Promise.all(this.informers.map(async (informer) => {
      const value = await this.read(informer)
      return value === undefined ? undefined : { name: informer.name, value, ttlMs: this.ttlMs }
    }))
    return [...read.filter((m) => m != null), ...this.tags, ...this.custom.values()]
  }

  /**
   * One informer's value: a fresh reading when it comes within readTimeoutMs, else its last
   * good value (the reading goes on and is kept for the next report; only one runs at a time).
   */
  private async read (informer: Informer): Promise<MetricValue | undefined> {
    let reading = this.inFlight.get(informer.name)
    if (reading == null) {
      reading = (async () => {
        try {
          // read() runs after the in-flight entry is set, even when it throws synchronously
          const value = await Promise.resolve().then(informer.read)
          if (validateMetric({ name: informer.name, value, ttlMs: this.ttlMs }, this.limits) == null) {
            this.last.set(informer.name, value)
            return value
          }
          this.onInformerError(informer.name, new RangeError(`informer returned an invalid value: ${String(value)}`))
        } catch (err) {
          this.onInformerError(informer.name, err)
        } finally {
          this.inFlight.delete(informer.name)
        }
        return undefined
      })()
      this.inFlight.set(informer.name, reading)
    }
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>(resolve => { timer = setTimeout(() => { resolve('late') }, this.readTimeoutMs) })
    try {
      const value = await Promise.race([reading, late])
      return value === 'late' ? this.last.get(informer.name) : value
    } finally {
      clearTimeout(timer)
    }
  }

  /** Returns the metric when receivers would accept it, else throws RangeError naming `what`. */
  private checked (metric: Metric, what: string): Metric {
    const l = this.limits
    switch (validateMetric(metric, l)) {
      case 'invalid-name':
        throw new RangeError(`${what}: name must be 1..${l.maxNameLength} characters of A-Z a-z 0-9 _ . : / -`)
      case 'invalid-value':
        throw new RangeError(`${what}: value must be a finite number or a string of at most ${l.maxTextLength} characters`)
      case 'invalid-ttl':
        throw new RangeError(`${what}: ttl must be an integer number of ms in [${l.minTtlMs}, ${l.maxTtlMs}], got ${metric.ttlMs}`)
      default:
        return metric
    }
  }

  /** Throws when `adding` more metrics would make reports exceed maxMetricsPerReport. */
  private checkRoom (adding: number): void {
    const count = this.informers.length + this.tags.length + this.custom.size + adding
    if (count > this.limits.maxMetricsPerReport) {
      throw new RangeError(`too many metrics: reports carry at most ${this.limits.maxMetricsPerReport} (built-ins, tags and custom metrics together)`)
    }
  }
}
