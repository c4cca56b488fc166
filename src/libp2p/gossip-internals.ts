/**
 * peermon reaches into a few of gossipsub's internals (batching, delivery
 * records, signature verification). When an upgrade renames one, peermon runs
 * without that improvement and says so once per process, with a warning code
 * per internal, rather than failing.
 */

const warned = new Set<string>()

/** A process warning, once per code: `<what> (renamed in an upgrade of a libp2p package?): <consequence>`. */
export function warnInternalMoved (code: string, what: string, consequence: string): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(`${what} (renamed in an upgrade of a libp2p package?): ${consequence}`, { code })
}
