/**
 * Which of a peer's stated listen addresses this node will dial (SECURITY.md,
 * "What a peer can make a node dial"). A report carries its sender's own
 * addresses inside the signed message, so a peer can only say where *it*
 * listens; this filter keeps the ones that make sense from where this node
 * stands:
 * - TCP over IPv4, IPv6 or a DNS name, and nothing on top (this node has no
 *   other transport: no relay circuits, websockets or QUIC);
 * - a real port (1..65535) and a unicast host: never an unspecified, multicast,
 *   broadcast or link-local address;
 * - a loopback address only when this node itself listens on loopback of that
 *   family (a daemon on a LAN never dials its own host's 127.0.0.1 for a peer);
 * - an IPv4 or IPv6 address only when this node has an address of that family.
 * Each kept address gets `/p2p/<peer>`, so the Noise handshake proves the peer
 * id and a connection to anyone else is dropped at once.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What this node's own addresses say about where it stands. */
export interface DialView {
  ip4: boolean
  ip6: boolean
  loopback4: boolean
  loopback6: boolean
}

const NEVER = new BlockList()
NEVER.addSubnet('0.0.0.0', 8, 'ipv4') // "this network", unspecified
NEVER.addSubnet('169.254.0.0', 16, 'ipv4') // link-local
NEVER.addSubnet('224.0.0.0', 4, 'ipv4') // multicast
NEVER.addAddress('255.255.255.255', 'ipv4') // broadcast
NEVER.addAddress('::', 'ipv6') // unspecified
NEVER.addSubnet('fe80::', 10, 'ipv6') // link-local: needs a zone to mean anything
NEVER.addSubnet('ff00::', 8, 'ipv6') // multicast

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** Reads the view from this node's own addresses (listen and announced, as libp2p gives them). */
export function dialView (own: Iterable<Multiaddr | string>): DialView {
  const view: DialView = { ip4: false, ip6: false, loopback4: false, loopback6: false }
  for (const addr of own) {
    let first
    try { first = (typeof addr === 'string' ? multiaddr(addr) : addr).getComponents()[0] } catch { continue }
    if (first?.value === undefined) continue
    if (first.name === 'ip4') {
      view.ip4 = true
      if (first.value === '0.0.0.0' || LOOPBACK.check(first.value, 'ipv4')) view.loopback4 = true
    } else if (first.name === 'ip6') {
      view.ip6 = true
      if (first.value === '::' || LOOPBACK.check(first.value, 'ipv6')) view.loopback6 = true
    }
  }
  return view
}

/** The addresses of `peer` worth dialling from `view`, each ending in `/p2p/<peer>`; the rest are left out. */
export function dialableAddrs (peer: string, addrs: readonly string[], view: DialView): Multiaddr[] {
  const kept: Multiaddr[] = []
  for (const text of addrs) {
    const addr = dialable(peer, text, view)
    if (addr !== undefined) kept.push(addr)
  }
  return kept
}

function dialable (peer: string, text: string, view: DialView): Multiaddr | undefined {
  let parts
  try { parts = multiaddr(text).getComponents() } catch { return undefined }
  const [host, tcp, ...rest] = parts
  if (host?.value === undefined || tcp?.name !== 'tcp' || tcp.value === undefined) return undefined
  if (rest.length > 1 || (rest.length === 1 && (rest[0].name !== 'p2p' || rest[0].value !== peer))) return undefined
  const port = Number(tcp.value)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined
  switch (host.name) {
    case 'ip4':
      if (!view.ip4 || !isIPv4(host.value) || NEVER.check(host.value, 'ipv4')) return undefined
      if (LOOPBACK.check(host.value, 'ipv4') && !view.loopback4) return undefined
      break
    case 'ip6':
      if (!view.ip6 || !isIPv6(host.value) || NEVER.check(host.value, 'ipv6')) return undefined
      if (LOOPBACK.check(host.value, 'ipv6') && !view.loopback6) return undefined
      break
    case 'dns':
    case 'dns4':
    case 'dns6':
      if (host.value === 'localhost' || host.value.endsWith('.localhost')) {
        if (!view.loopback4 && !view.loopback6) return undefined
      }
      break
    default:
      return undefined
  }
  try {
    return multiaddr(`/${host.name}/${host.value}/tcp/${port}/p2p/${peer}`)
  } catch {
    return undefined // not a peer id multiaddr accepts
  }
}
