/**
 * Peer ids as an operator or a client writes them: any form libp2p parses
 * (base58btc `12D3KooW...`/`Qm...`, or a CID), in the one string form the
 * monitor keys its peers by.
 */
import { peerIdFromString } from '@libp2p/peer-id'

/** The peer id in its usual string form (base58btc), or undefined when `text` is not a peer id. */
export function canonicalPeerId (text: string): string | undefined {
  try {
    return peerIdFromString(text).toString()
  } catch {
    return undefined
  }
}
