/**
 * Judging failure reports against the faults that were made: for each
 * outage, every survivor's time from the fault to its first report about the
 * victim (detection), the survivors that never reported it (missed), and the
 * reports about members that were up at the time (false failures). The same
 * judge for Serf's `member-failed` and peermon's `alert`. Plain values, all
 * times in epoch ms.
 */
import { summarize, type Summary } from './stats.js'

export interface Outage {
  member: number
  /** When the fault was made (signal sent). */
  from: number
  /** When the member was brought back (SIGCONT or restarted); undefined: never. */
  to?: number
  /** A graceful stop (SIGINT): a `left`/`member-leave` report counts as its detection. */
  graceful?: boolean
}

export interface FailureReport {
  /** The member that reported. */
  observer: number
  /** The member it reported about. */
  member: number
  at: number
  /** `failed`: Serf's member-failed, peermon's alert; `left`: a graceful leave seen. */
  kind: 'failed' | 'left'
}

export interface TallyOptions {
  members: number
  outages: Outage[]
  reports: FailureReport[]
  /** Reports before this are not judged (formation). */
  from: number
  /** End of the observation. */
  to: number
  /** A report this long after the member came back still belongs to its outage (ms). */
  graceMs: number
}

export interface Tally {
  /** Fault → first report, ms, one sample per survivor and outage (graceful stops not timed). */
  detection: Summary
  /** Survivor × outage pairs that should have been reported. */
  expected: number
  /** Of those, never reported (until the member was back plus the grace). */
  missed: number
  /** Failure reports about members that were up at the time. */
  falseFailures: number
  /** Of those, reports made by a member that was itself down within the last `graceMs` (a hung member catching up). */
  falseByReturning: number
}

/** Whether `member` is down (or within `graceMs` of coming back) at `at`. */
function downAt (outages: Outage[], member: number, at: number, graceMs: number): boolean {
  return outages.some((o) => o.member === member && o.from <= at && at <= (o.to ?? Infinity) + graceMs)
}

export function tallyFailures (options: TallyOptions): Tally {
  const { outages, reports, graceMs } = options
  const judged = reports.filter((r) => r.at >= options.from && r.at <= options.to)
  const samples: number[] = []
  let expected = 0
  let missed = 0
  for (const outage of outages) {
    const until = Math.min(options.to, (outage.to ?? Infinity) + graceMs)
    for (let observer = 0; observer < options.members; observer++) {
      if (observer === outage.member) continue
      // A survivor: up from the fault until the outage is over (or the observation ends).
      const wasDown = outages.some((o) => o.member === observer && o.from <= until && (o.to ?? Infinity) + graceMs >= outage.from)
      const report = judged.find((r) => r.observer === observer && r.member === outage.member && r.at >= outage.from && r.at <= until &&
        (r.kind === 'failed' || outage.graceful === true))
      // A graceful stop's leave is counted as detected but not timed: the times are those of failure detection.
      if (report !== undefined && !wasDown && outage.graceful !== true) samples.push(report.at - outage.from)
      if (wasDown) continue
      expected++
      if (report === undefined) missed++
    }
  }
  const falseReports = judged.filter((r) => r.kind === 'failed' && !downAt(outages, r.member, r.at, graceMs))
  return {
    detection: summarize(samples),
    expected,
    missed,
    falseFailures: falseReports.length,
    falseByReturning: falseReports.filter((r) => downAt(outages, r.observer, r.at, graceMs)).length
  }
}
