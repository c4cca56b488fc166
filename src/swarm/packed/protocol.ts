/**
 * The protocol between the launcher (packed-process.ts) and a packed swarm process
 * (pack-command.ts). The launcher writes one JSON command per line on the
 * process's stdin:
 *
 *   {"start":3,"args":["--json","--listen",...],"env":{"PEERMON_TRACE":"..."}}
 *   {"stop":3}     node 3 stops gracefully (says `stopping`, leaves)
 *   {"kill":3}     node 3 ends as a killed process looks: connections reset, no leave, silent
 *
 * and reads each line of each node on its stdout, framed with the node's index:
 *
 *   3 > {"ts":...,"event":"listening",...}  a line the daemon printed
 *   3 ! peermon: ...                        a line the daemon wrote to stderr
 *   3 exit 0                                the daemon ended, with its exit code
 *   3 exit SIGKILL                          the daemon ended by a `kill` command
 *
 * Pure: no processes, no libp2p (the launcher must not load the network stack).
 */
/** A command from the launcher. */
export type PackCommand =
  | { start: number, args: string[], env?: Record<string, string> }
  | { stop: number }
  | { kill: number }

/** What the launcher reads back: one framed line. */
export type PackLine =
  | { node: number, kind: 'stdout', text: string }
  | { node: number, kind: 'stderr', text: string }
  /** A killed node's exit has no code, the signal a killed process would have (`3 exit SIGKILL`). */
  | { node: number, kind: 'exit', code: number, signal?: undefined }
  | { node: number, kind: 'exit', code: null, signal: 'SIGKILL' }

/** The framed form of one line of node `node`. */
export function frameLine (line: PackLine): string {
  switch (line.kind) {
    case 'stdout': return `${line.node} > ${line.text}`
    case 'stderr': return `${line.node} ! ${line.text}`
    case 'exit': return `${line.node} exit ${line.signal ?? line.code}`
  }
}

/** Reads a framed line back; undefined for anything else (counted as garbage by the reader). */
export function parseFramedLine (text: string): PackLine | undefined {
  const space = text.indexOf(' ')
  if (space <= 0 || space > 6) return undefined
  const node = Number(text.slice(0, space))
  if (!Number.isInteger(node) || node < 0) return undefined
  const rest = text.slice(space + 1)
  if (rest.startsWith('> ')) return { node, kind: 'stdout', text: rest.slice(2) }
  if (rest.startsWith('! ')) return { node, kind: 'stderr', text: rest.slice(2) }
  if (rest === 'exit SIGKILL') return { node, kind: 'exit', code: null, signal: 'SIGKILL' }
  if (rest.startsWith('exit ')) {
    const code = Number(rest.slice(5))
    return Number.isInteger(code) ? { node, kind: 'exit', code } : undefined
  }
  return undefined
}

/** Reads one command line; throws on anything the launcher would never send. */
export function parseCommand (text: string): PackCommand {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (typeof value === 'object' && value !== null) {
    const c = value as Record<string, unknown>
    if (isIndex(c.stop)) return { stop: c.stop }
    if (isIndex(c.kill)) return { kill: c.kill }
    if (isIndex(c.start) && Array.isArray(c.args) && c.args.every((a) => typeof a === 'string')) {
      const env = c.env
      if (env === undefined || (typeof env === 'object' && env !== null && Object.values(env).every((v) => typeof v === 'string'))) {
        return { start: c.start, args: c.args as string[], ...(env === undefined ? {} : { env: env as Record<string, string> }) }
      }
    }
  }
  throw new Error(`not a pack command: ${text.slice(0, 200)}`)
}

function isIndex (value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}
