/**
 * An event as it leaves the place where it happened: the typed event, the
 * moment it happened, and its two renderings, each made at most once however
 * many outputs (stdout, the event stream, hooks, the alert log, the API's
 * history) take it. Outputs read these fields; none of them parses anything.
 */
import type { EventLine, PeermonEvent } from './event.js'
import { toEventLine, toHumanLine } from './format.js'

export class EventRecord<E extends PeermonEvent = PeermonEvent> {
  readonly event: E
  /** Wall-clock time the event happened. */
  readonly at: Date
  private jsonForm?: EventLine
  private jsonText?: string
  private humanText?: string

  constructor (event: E, at: Date = new Date()) {
    this.event = event
    this.at = at
  }

  get type (): E['type'] {
    return this.event.type
  }

  /** The JSON form (`ts`, `event`, rounded fields); shared by every output, so never modify it. */
  get line (): Readonly<EventLine> {
    this.jsonForm ??= Object.freeze(toEventLine(this.event, this.at))
    return this.jsonForm
  }

  /** The `--json` line, without its newline. */
  get json (): string {
    this.jsonText ??= JSON.stringify(this.line)
    return this.jsonText
  }

  /** The line for people, without its newline. */
  get human (): string {
    this.humanText ??= toHumanLine(this.event, this.at)
    return this.humanText
  }
}
