/**
 * Known peers remembered across restarts: `<data-dir>/peers.json`, so that a
 * daemon restarted after its seed died still finds the swarm. Small (at most
 * MAX_KNOWN_PEERS peers, each with its stated addresses), written atomically
 * (a temporary file renamed over the old one, so a crash mid-write leaves the
 * old file), and read leniently: a file that is not what this module writes is
 * ignored with one warning, never fatal. The peers in it are dial candidates
 * like any other (degree-keeper.ts), behind those heard lately.
 *
 * ```json
 * { "version": 1, "peers": [{ "peer": "12D3KooW…", "addrs": ["/ip4/10.0.0.7/tcp/4011"] }] }
 * ```
 */
import { readFile, rename, writeFile, rm } from 'node:fs/promises'
import { describeFsError } from '../config-error.js'
import { DEFAULT_MAX_PEER_LENGTH, validAddrs } from '../monitor/report.js'

export const KNOWN_PEERS_FILE = 'peers.json'
/** Peers remembered, at most: enough to find the swarm again, small enough to read at a glance. */
export const MAX_KNOWN_PEERS = 64
/** A larger file is not read (64 peers × 16 addresses × 256 characters is about 270 KiB). */
const MAX_FILE_BYTES = 512 * 1024

export interface KnownPeer {
  peer: string
  addrs: string[]
}

export type KnownPeersRead = { peers: KnownPeer[] } | { peers: KnownPeer[], problem: string }

/** Reads the file; a missing file is no peers, a bad one is no peers and the problem in one line. */
export async function readKnownPeers (path: string): Promise<KnownPeersRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { peers: [] }
    return { peers: [], problem: `${path}: ${describeFsError(err)}` }
  }
  if (text.length > MAX_FILE_BYTES) return { peers: [], problem: `${path}: larger than ${MAX_FILE_BYTES} bytes; ignored` }
  let data: unknown
  try { data = JSON.parse(text) } catch { return { peers: [], problem: `${path}: not JSON; ignored (it is rewritten soon)` } }
  const peers = parseKnownPeers(data)
  if (peers === undefined) return { peers: [], problem: `${path}: not a peermon peers file (version 1); ignored (it is rewritten soon)` }
  return { peers }
}

/** The peers of a parsed file, or undefined when it is not one this module writes. */
export function parseKnownPeers (data: unknown): KnownPeer[] | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { version, peers } = data as { version?: unknown, peers?: unknown }
  if (version !== 1 || !Array.isArray(peers) || peers.length > MAX_KNOWN_PEERS) return undefined
  const list: KnownPeer[] = []
  for (const entry of peers) {
    if (typeof entry !== 'object' || entry === null) return undefined
    const { peer, addrs } = entry as { peer?: unknown, addrs?: unknown }
    if (typeof peer !== 'string' || peer.length === 0 || peer.length > DEFAULT_MAX_PEER_LENGTH) return undefined
    if (!Array.isArray(addrs) || !validAddrs(addrs)) return undefined
    list.push({ peer, addrs })
  }
  return list
}

/** Writes the file atomically: a temporary file beside it, renamed over it. Keeps the first MAX_KNOWN_PEERS. */
export async function writeKnownPeers (path: string, peers: readonly KnownPeer[]): Promise<void> {
  const body = JSON.stringify({ version: 1, peers: peers.slice(0, MAX_KNOWN_PEERS) }, null, 1) + '\n'
  const temporary = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temporary, body, { mode: 0o644 })
    await rename(temporary, path)
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => {})
    throw err
  }
}
