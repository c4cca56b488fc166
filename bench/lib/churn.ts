/**
 * The churn schedule: about every `everyMs` one member is SIGKILLed,
 * SIGSTOPped or SIGINTed and brought back `minDownMs`..`maxDownMs` later, with
 * at most `maxDown` members down at once. Seeded, so Serf and peermon get the
 * same faults at the same offsets.
 */
import { seededRandom } from '../../src/swarm/launch/random.js'

export type ChurnAction = 'SIGKILL' | 'SIGSTOP' | 'SIGINT'
export const CHURN_ACTIONS: readonly ChurnAction[] = ['SIGKILL', 'SIGSTOP', 'SIGINT']

export interface ChurnStep {
  /** Offset from the start of the churn (ms). */
  at: number
  member: number
  action: ChurnAction
  /** How long the member stays down (ms); it is brought back at `at + downMs`. */
  downMs: number
}

export interface ChurnOptions {
  seed: number
  members: number
  durationMs: number
  everyMs?: number
  /** Each step lands up to this much before or after its slot (ms). Default 1000. */
  jitterMs?: number
  minDownMs?: number
  maxDownMs?: number
  maxDown?: number
}

export function churnSchedule (options: ChurnOptions): ChurnStep[] {
  const { members, durationMs } = options
  const every = options.everyMs ?? 5000
  const jitter = options.jitterMs ?? 1000
  const minDown = options.minDownMs ?? 4000
  const maxDown = options.maxDownMs ?? 12_000
  const maxAtOnce = options.maxDown ?? 3
  const random = seededRandom(options.seed)
  const steps: ChurnStep[] = []
  for (let slot = every; slot <= durationMs; slot += every) {
    const at = Math.max(0, Math.min(durationMs, Math.round(slot + (random.next() * 2 - 1) * jitter)))
    const downAt = steps.filter((s) => s.at <= at && at < s.at + s.downMs)
    if (downAt.length >= maxAtOnce) continue
    // A member still down, or brought back too recently to have rejoined, is not picked.
    const candidates = Array.from({ length: members }, (_, i) => i).filter((i) => !steps.some((s) => s.member === i && at < s.at + s.downMs + every))
    if (candidates.length === 0) continue
    steps.push({ at, member: random.pick(candidates), action: random.pick(CHURN_ACTIONS), downMs: minDown + random.int(maxDown - minDown + 1) })
  }
  return steps
}
