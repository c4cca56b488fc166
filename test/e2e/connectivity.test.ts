/**
 * A swarm heals its own connections (src/daemon/connectivity.ts): daemons that
 * all bootstrapped to one seed connect to each other, so the seed's death is
 * one alert, not the end of the swarm; and a daemon restarted after its seed
 * died finds the swarm again from <data-dir>/peers.json.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import type { HealthResponse } from '../../src/api/types.js'
import { countEvents, listeningApi, startDaemon, type Recorded } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'
import { sleep, waitFor } from '../helpers/wait.js'

const tmp = tempDir('peermon-connectivity-')

const connectedTo = (rec: Recorded, peer: string): boolean => {
  let open = false
  for (const e of rec.events) {
    if (e.event.peer !== peer) continue
    if (e.event.event === 'connected') open = true
    if (e.event.event === 'disconnected') open = false
  }
  return open
}

describe('a swarm that heals its own connections (real CLI processes)', () => {
  const all: Recorded[] = []
  after(async () => { await Promise.all(all.map(async r => await r.child.stop())) })

  it('a star around one seed: the leaves connect to each other, the seed\'s death is one alert each, and a restarted leaf finds the swarm from its peers file', async () => {
    const seed = startDaemon(0, ['--api', 'off'])
    all.push(seed)
    const { peer: seedId, addrs } = await seed.child.whenListening(20_000)
    // Leaf 1 keeps a data directory (its peers file) and serves the API (its connections).
    const leaves = [
      startDaemon(1, ['--bootstrap', addrs[0], '--data-dir', tmp(), '--key', tmp('leaf1.key'), '--api', '127.0.0.1:0']),
      startDaemon(2, ['--api', 'off', '--bootstrap', addrs[0]]),
      startDaemon(3, ['--api', 'off', '--bootstrap', addrs[0]])
    ]
    all.push(...leaves)
    const ids = await Promise.all(leaves.map(async l => (await l.child.whenListening(20_000)).peer))
    await waitFor('every leaf connected to the other leaves', () => leaves.every((l, i) => ids.every((id, j) => i === j || connectedTo(l, id))), 30_000)
      .catch(err => { throw new Error(`${err.message}: ${JSON.stringify(leaves.map(l => l.events.map(e => `${e.event.event}`)))}`) })

    const api = listeningApi(leaves[0])
    assert.ok(api !== undefined)
    const health = await (await fetch(`${api}/api/v0/health`)).json() as HealthResponse
    assert.equal(health.connections?.target, 4, 'the default target: the mesh\'s upper bound')
    assert.ok(health.connections.connected >= 3, `seed and both leaves connected (${health.connections.connected})`)
    assert.equal(health.connections.short, false)
    // The other leaves at least, once their next report (the first after a new connection states the addresses) has arrived.
    let known = health.connections.known
    await waitFor('both other leaves known to dial', async () => {
      known = ((await (await fetch(`${api}/api/v0/health`)).json()) as HealthResponse).connections?.known ?? 0
      return known >= 2
    }, 10_000, 200).catch(err => { throw new Error(`${err.message}: ${known} known`) })
    const metrics = await (await fetch(`${api}/metrics`)).text()
    assert.match(metrics, /^peermon_connections_target 4$/m)
    assert.match(metrics, /^peermon_connections [3-9]$/m)

    seed.child.signal('SIGKILL')
    await waitFor('every leaf alerts on the seed', () => leaves.every(l => countEvents(l, 'alert', seedId) === 1), 15_000)
    await sleep(3_000) // three TTLs
    for (const leaf of leaves) {
      const alerts = leaf.events.filter(e => e.event.event === 'alert').map(e => e.event.peer)
      assert.deepEqual(alerts, [seedId], 'one alert, on the seed only')
      assert.equal(countEvents(leaf, 'isolated'), 0, 'nobody is cut off')
    }

    // Leaf 1 stops (writing its peers file) and comes back without any --bootstrap: the seed is dead.
    leaves[0].child.signal('SIGTERM')
    assert.equal((await leaves[0].child.exited).code, 0)
    const file = JSON.parse(await readFile(tmp('peers.json'), 'utf8')) as { version: number, peers: Array<{ peer: string, addrs: string[] }> }
    assert.equal(file.version, 1)
    assert.deepEqual(file.peers.map(p => p.peer).sort(), [ids[1], ids[2]].sort(), 'the live leaves, not the dead seed')
    const back = startDaemon(4, ['--api', 'off', '--data-dir', tmp(), '--key', tmp('leaf1.key')])
    all.push(back)
    assert.equal((await back.child.whenListening(20_000)).peer, ids[0])
    await waitFor('the restarted leaf and the others hear each other again', () => leaves.slice(1).every((l, i) => countEvents(l, 'joined', ids[0]) === 2 && countEvents(back, 'joined', ids[i + 1]) === 1), 30_000)
      .catch(err => { throw new Error(`${err.message}: ${JSON.stringify(back.events.map(e => `${e.event.event} ${String(e.event.message ?? '')}`))}`) })
  })
})
