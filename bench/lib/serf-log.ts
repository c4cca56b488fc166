/**
 * Reading a `serf agent`'s log (its stdout, the same lines `serf monitor`
 * streams): the member events Serf decides on, with the member they are
 * about. The agent's event handlers get the same events later, after the
 * agent coalesced them (about 1 s here), and without a time of their own, so
 * the log line is the earliest moment Serf tells anyone.
 *
 *   2026/12/07 19:51:59 [INFO] memberlist: Suspect b has failed, no acks received
 *   2026/12/07 19:51:59 [INFO] serf: EventMemberFailed: b 127.0.0.1
 */

export type SerfMemberEventKind = 'join' | 'failed' | 'leave' | 'update' | 'reap' | 'suspect'

export interface SerfMemberEvent {
  kind: SerfMemberEventKind
  /** The member's node name (`-node`). */
  member: string
}

const MEMBER_EVENT = /\[INFO\] serf: EventMember(Join|Failed|Leave|Update|Reap): (\S+)/
const SUSPECT = /\[INFO\] memberlist: Suspect (\S+) has failed/

/** The member event a log line reports, or undefined for any other line. */
export function parseSerfLogLine (line: string): SerfMemberEvent | undefined {
  const event = MEMBER_EVENT.exec(line)
  if (event !== null) return { kind: event[1].toLowerCase() as SerfMemberEventKind, member: event[2] }
  const suspect = SUSPECT.exec(line)
  if (suspect !== null) return { kind: 'suspect', member: suspect[1] }
  return undefined
}
