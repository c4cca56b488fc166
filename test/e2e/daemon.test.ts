import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { IdResponse } from '../../src/api/types.js'
import { DaemonChild } from '../../src/swarm/nodes/daemon-child.js'
import { countEvents, freePort, listeningApi, startDaemon, type Recorded } from '../helpers/daemons.js'
import { sleep, waitFor } from '../helpers/wait.js'

// Every daemon runs with --api off: several daemons on one host must not all take the API's default port.

describe('peermon daemon (real CLI processes)', () => {
  const all: Recorded[] = []
  after(async () => { await Promise.all(all.map(async r => await r.child.stop())) })

  it('three daemons find each other; SIGKILL of one alerts the others once; SIGTERM leaves gracefully', async () => {
    const first = startDaemon(0, ['--api', 'off'])
    all.push(first)
    const { peer: firstId, addrs } = await first.child.whenListening(20_000)
    assert.match(firstId, /^12D3Koo/)
    assert.ok(addrs.every(a => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${firstId}`)), 'listening line carries dialable addrs')
    const second = startDaemon(1, ['--api', 'off', '--bootstrap', addrs[0]])
    const third = startDaemon(2, ['--api', 'off', '--bootstrap', addrs[0]])
    all.push(second, third)
    const ids = [firstId, (await second.child.whenListening(20_000)).peer, (await third.child.whenListening(20_000)).peer]
    const recs = [first, second, third]
    await waitFor('every daemon joined the two others', () => recs.every(r => countEvents(r, 'joined') === 2), 30_000)
    for (const r of recs) {
      for (const e of r.events) assert.ok(typeof e.event.ts === 'string' && !Number.isNaN(Date.parse(e.event.ts)), 'ts is ISO 8601')
    }

    // crash: no leave notice, connections drop at once
    const killedAt = performance.now()
    third.child.signal('SIGKILL')
    await waitFor('both survivors alert for the killed daemon', () => [first, second].every(r => countEvents(r, 'alert', ids[2]) >= 1), 15_000)
    await sleep(2_000)
    for (const r of [first, second]) {
      const alerts = r.events.filter(e => e.event.event === 'alert')
      assert.equal(alerts.length, 1, 'exactly one alert, for the killed daemon')
      assert.equal(alerts[0].event.metric, 'ping')
      assert.ok(alerts[0].receivedAt - killedAt < 3_000 + 5_000, 'within the TTL (3 s) plus slack')
      assert.equal(countEvents(r, 'left', ids[2]), 0)
    }

    // graceful stop: exits 0 within 3 s, the survivor reports left and no alert
    const termAt = performance.now()
    second.child.signal('SIGTERM')
    const exit = await second.child.exited
    assert.equal(exit.code, 0)
    assert.ok(performance.now() - termAt < 10_000, 'exits within seconds of SIGTERM (its node stop deadline is 2.5 s)')
    await waitFor('the survivor reports left', () => countEvents(first, 'left', ids[1]) === 1, 10_000)
    await sleep(1_500)
    assert.equal(countEvents(first, 'alert', ids[1]), 0, 'no alert for a peer that left')
  })

  it('runs with --interval 5s and no --ttl: its TTL is 3 intervals, 15 s', async () => {
    const child = new DaemonChild({ index: 0, args: ['--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--interval', '5s', '--api', '127.0.0.1:0'] })
    const rec: Recorded = { child, events: [] }
    child.onEvent(e => { rec.events.push(e) })
    all.push(rec)
    await child.whenListening(20_000)
    const api = listeningApi(rec)
    assert.ok(api !== undefined, 'the listening line carries the API URL')
    const id = await (await fetch(`${api}/api/v0/id`)).json() as IdResponse
    assert.deepEqual([id.intervalMs, id.ttlMs], [5000, 15_000])
    child.signal('SIGTERM')
    assert.equal((await child.exited).code, 0)
  })

  it('redials its bootstrap peer after it restarts with the same key and address, and sees it recover', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peermon-e2e-'))
    try {
      const keyFile = join(dir, 'identity.key')
      const port = await freePort()
      const listen = ['--listen', `/ip4/127.0.0.1/tcp/${port}`, '--key', keyFile]
      const boot = startDaemon(10, ['--api', 'off', ...listen])
      all.push(boot)
      const { peer: bootId, addrs } = await boot.child.whenListening(20_000)
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'identity key created with mode 0600')
      const fixedAddr = addrs.find(a => a.includes(`/tcp/${port}/`))
      assert.ok(fixedAddr != null, `listening on the fixed port ${port}`)
      const watcher = startDaemon(11, ['--api', 'off', '--bootstrap', fixedAddr])
      all.push(watcher)
      await waitFor('the watcher joins the bootstrap peer', () => countEvents(watcher, 'joined', bootId) === 1, 30_000)
      boot.child.signal('SIGKILL')
      await boot.child.exited
      await waitFor('an alert for the killed bootstrap peer', () => countEvents(watcher, 'alert', bootId) === 1, 15_000)
      const again = startDaemon(12, ['--api', 'off', ...listen])
      all.push(again)
      assert.equal((await again.child.whenListening(20_000)).peer, bootId, 'same identity from the key file')
      await waitFor('the watcher redials and sees the peer recover', () => countEvents(watcher, 'recovered', bootId) === 1, 45_000)
        .catch(err => { throw new Error(`${err.message}; watcher saw ${JSON.stringify(watcher.events.map(e => e.event.event))}`) })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
