/**
 * The alert rule: one alert per failure episode per (peer, metric), and for a
 * peer that goes silent exactly one alert, on its heartbeat (ping), rather
 * than one per metric. A peer that never sent a ping gets one alert per metric.
 */

/**
 * Where a tracked (peer, metric) is in its life:
 * - `fresh`: received, its expiry deadline is pending
 * - `alerting`: an alert was raised; the next value brings `recovered`
 * - `covered`: expired while the peer's ping is down; the ping alert speaks
 *   for it, and its return brings no `recovered`
 * - `pending`: expired while ping is fresh but before any newer report; the
 *   next report (still without it → alert) or ping's expiry (→ covered) decides
 */
export type Health = 'fresh' | 'alerting' | 'covered' | 'pending'

/** What the rule needs to know about a tracked metric (monotonic ms). */
export interface MetricTiming {
  health: Health
  receivedAt: number
  expiresAt: number
}

/**
 * The health of a non-ping metric at its expiry moment. `ping` is the peer's
 * ping metric (undefined if it never sent one); `lastHeardAt` the arrival of
 * the peer's last accepted report.
 */
export function healthAtExpiry (metric: MetricTiming, ping: MetricTiming | undefined, lastHeardAt: number): 'alerting' | 'covered' | 'pending' {
  if (ping == null) return 'alerting' // no heartbeat: every metric speaks for itself
  if (ping.health === 'alerting' || ping.expiresAt <= metric.expiresAt) return 'covered' // ping's alert speaks for the peer
  if (lastHeardAt > metric.receivedAt) return 'alerting' // reports keep coming without it: a stuck informer
  return 'pending' // a silent peer or a stuck informer: wait for the next report or ping's expiry
}

/**
 * Whether an expired metric that a newly accepted report lacks alerts now:
 * yes once the peer is reporting again (its ping not in alert) and the metric
 * has not alerted already.
 */
export function alertsWhenAbsent (metric: MetricTiming, pingAlerting: boolean): boolean {
  return !pingAlerting && (metric.health === 'pending' || metric.health === 'covered')
}
