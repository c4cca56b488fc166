/**
 * Bootstrap addresses as the operator writes them, and the addresses to dial
 * for each: `/dns4|dns6|dns/<name>/tcp/<port>[/p2p/<id>]` resolves to every
 * address the name has (a headless Service's pods, a Compose service's
 * replicas); anything else is dialled as written.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { BootstrapTarget } from './bootstrap.js'

/** Protocol code of `/p2p/<id>`. */
const P2P_CODE = 421
/** Protocol codes of dns, dns4, dns6 → the address family lookup() is asked for (0: both). */
export const DNS_FAMILIES: ReadonlyMap<number, 0 | 4 | 6> = new Map([[53, 0], [54, 4], [55, 6]])

/** Looks a host name up; `family` 0 asks for both. Node's dns.lookup (the system resolver, /etc/hosts first) by default. */
export type HostLookup = (name: string, family: 0 | 4 | 6) => Promise<Array<{ address: string, family: number }>>

const systemLookup: HostLookup = async (name, family) => await dnsLookup(name, { all: true, family })

/** A validated bootstrap address (config-values.ts: validBootstrapAddr) as the keeper's target. */
export function toBootstrapTarget (addr: string): BootstrapTarget {
  const ma = multiaddr(addr)
  const peer = ma.getPeerId() ?? undefined
  const first = ma.stringTuples()[0]?.[0]
  return { addr, ...(peer !== undefined ? { peer } : {}), ...(first !== undefined && DNS_FAMILIES.has(first) ? { byName: true } : {}) }
}

/**
 * The addresses to dial for a target: a name's every address (deduplicated, in
 * the resolver's order) with the rest of the multiaddr after it; any other target
 * as written. Rejects when the name does not resolve.
 */
export async function resolveBootstrapTarget (target: BootstrapTarget, lookup: HostLookup = systemLookup): Promise<string[]> {
  if (target.byName !== true) return [target.addr]
  // validBootstrapAddr admits a name only as /<dns>/<name>/tcp/<port>[/p2p/<id>].
  const [[code, name], [, port]] = multiaddr(target.addr).stringTuples()
  const tail = `/tcp/${port ?? ''}${target.peer !== undefined ? `/p2p/${target.peer}` : ''}`
  const found = await lookup(name ?? '', DNS_FAMILIES.get(code) ?? 0)
  return [...new Set(found.map(({ address, family }) => `/${family === 6 ? 'ip6' : 'ip4'}/${address}${tail}`))]
}

/** An address as a key: host and port, any `/p2p/<id>` dropped, so a dialled address and a listen address compare equal. */
export function addressKey (addr: string | Multiaddr): string {
  return (typeof addr === 'string' ? multiaddr(addr) : addr).decapsulateCode(P2P_CODE).toString()
}
