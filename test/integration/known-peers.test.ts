import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { MAX_KNOWN_PEERS, readKnownPeers, writeKnownPeers } from '../../src/daemon/known-peers.js'
import { tempDir } from '../helpers/tmp.js'

const tmp = tempDir('peermon-known-peers-')

describe('known peers file', () => {
  it('round-trips, bounded, and a missing file is no peers', async () => {
    const path = tmp('peers.json')
    assert.deepEqual(await readKnownPeers(path), { peers: [] })
    const many = Array.from({ length: MAX_KNOWN_PEERS + 10 }, (_, i) => ({ peer: `12D3KooPeer${i}`, addrs: [`/ip4/10.0.0.${i % 250}/tcp/4011`] }))
    await writeKnownPeers(path, many)
    const read = await readKnownPeers(path)
    assert.ok(!('problem' in read))
    assert.equal(read.peers.length, MAX_KNOWN_PEERS)
    assert.deepEqual(read.peers[0], many[0])
  })

  it('ignores a corrupt or foreign file with one line saying so', async () => {
    const path = tmp('bad.json')
    for (const text of ['{"version":1,"peers":[{"peer":"a","addrs":["/ip4/1.2.3.4/tcp/1"]}', '{"version":2,"peers":[]}', '{"version":1,"peers":[{"peer":"a","addrs":["rm -rf /"]}]}', '[]']) {
      await writeFile(path, text)
      const read = await readKnownPeers(path)
      assert.deepEqual(read.peers, [])
      assert.ok('problem' in read && read.problem.startsWith(path) && !read.problem.includes('\n'), JSON.stringify(read))
    }
  })

  it('writes atomically: the old file stays whole until the new one replaces it', async () => {
    const path = tmp('atomic.json')
    await writeKnownPeers(path, [{ peer: 'old', addrs: [] }])
    await writeKnownPeers(path, [{ peer: 'new', addrs: ['/ip4/10.0.0.1/tcp/1'] }])
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { version: 1, peers: [{ peer: 'new', addrs: ['/ip4/10.0.0.1/tcp/1'] }] })
    await assert.rejects(writeKnownPeers(tmp('no-such-dir', 'peers.json'), []))
  })
})
