/**
 * The daemon's allow-list: the peer ids given with `--allow` and those listed
 * in `--allow-file` (one per line, `#` starts a comment, blank lines ignored).
 * When it is not empty, only these peers may connect (the connection gater of
 * createNode) and only their reports are monitored; the node itself is always
 * allowed. Every mistake is a {@link ConfigError} naming the flag, or the
 * file and line.
 */
import { readFile } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError, describeFsError } from '../config-error.js'
import type { DaemonConfig } from './config.js'
import { canonicalPeerId } from '../libp2p/peer-id.js'

/** An allow-list file larger than this is refused (about 20,000 peer ids). */
const MAX_ALLOW_FILE_BYTES = 1024 * 1024

/**
 * The allow-list of this configuration, as canonical peer id strings; empty
 * when neither option is set (everyone is allowed). Throws {@link ConfigError}
 * on an unreadable file, a bad line, a file that lists nobody, or a
 * `--bootstrap` peer the list leaves out (it could never connect).
 */
export async function loadAllowList (config: Pick<DaemonConfig, 'allow' | 'allowFile' | 'bootstrap'>): Promise<string[]> {
  const peers = new Set(config.allow.map(id => canonicalPeerId(id) ?? badPeerId('--allow', id)))
  if (config.allowFile !== undefined) {
    const listed = parseAllowFile(await readAllowFile(config.allowFile), config.allowFile)
    if (listed.length === 0 && peers.size === 0) {
      throw new ConfigError(`--allow-file: ${config.allowFile} lists no peer id; an empty allow-list would let everyone in (remove the option for an open swarm)`)
    }
    for (const id of listed) peers.add(id)
  }
  if (peers.size > 0) checkBootstrapAllowed(config.bootstrap, peers)
  return [...peers]
}

/**
 * Parses an allow-list file: one peer id per line, `#` to the end of a line is
 * a comment, surrounding blanks and blank lines are ignored. Returns the
 * canonical peer ids; throws {@link ConfigError} naming `file:line` on a bad line.
 */
export function parseAllowFile (text: string, file: string): string[] {
  const peers: string[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const hash = raw.indexOf('#')
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim()
    if (line === '') return
    const id = canonicalPeerId(line)
    if (id === undefined) badPeerId(`--allow-file: ${file}:${index + 1}`, line)
    peers.push(id)
  })
  return peers
}

async function readAllowFile (path: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new ConfigError(`--allow-file: cannot read ${path}: ${describeFsError(err)}`)
  }
  if (bytes.byteLength > MAX_ALLOW_FILE_BYTES) throw new ConfigError(`--allow-file: ${path} is larger than ${MAX_ALLOW_FILE_BYTES} bytes`)
  return bytes.toString('utf8')
}

/** A bootstrap peer outside the allow-list would be refused by our own gater at every dial. */
function checkBootstrapAllowed (bootstrap: readonly string[], peers: ReadonlySet<string>): void {
  for (const addr of bootstrap) {
    const id = multiaddr(addr).getPeerId()
    const canonical = id == null ? undefined : canonicalPeerId(id)
    if (canonical !== undefined && !peers.has(canonical)) {
      throw new ConfigError(`--bootstrap: ${canonical} is not in the allow-list (--allow, --allow-file), so it could never connect; add it or drop the bootstrap address`)
    }
  }
}

function badPeerId (where: string, text: string): never {
  const shown = text.length > 60 ? `${text.slice(0, 56)}...` : text
  throw new ConfigError(`${where}: expected a peer id like 12D3KooW..., got ${JSON.stringify(shown)}`)
}
