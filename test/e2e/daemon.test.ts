import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { DaemonChild } from '../../src/swarm/child.js'
import type { NodeEvent } from '../../src/swarm/child.js'

// --api off: several daemons on one host must not all take the API's default port.
const FLAGS = ['--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--interval', '250ms', '--ttl', '1s', '--api', 'off']

interface Recorded { child: DaemonChild, events: NodeEvent[] }

function startDaemon (index: number, extra: string[] = []): Recorded {
  const child = new DaemonChild({ index, args: [...FLAGS, ...extra] })
  const rec: Recorded = { child, events: [] }
  child.onEvent(e => { rec.events.push(e) })
  return rec
}

async function waitFor (what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A TCP port that was free a moment ago (the OS picks it). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise(resolve => server.close(resolve))
  if (address == null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const count = (rec: Recorded, event: string, peer?: string): number =>
  rec.events.filter(e => e.event.event === event && (peer == null || e.event.peer === peer)).length

describe('peermon daemon (real CLI processes)', () => {
  const all: Recorded[] = []
  after(async () => { await Promise.all(all.map(async r => await r.child.stop())) })

  it('three daemons find each other; SIGKILL of one alerts the others once; SIGTERM leaves gracefully', async () => {
    const first = startDaemon(0)
    all.push(first)
    const { peer: firstId, addrs } = await first.child.whenListening(20_000)
    assert.match(firstId, /^12D3Koo/)
    assert.ok(addrs.every(a => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${firstId}`)), 'listening line carries dialable addrs')
    const second = startDaemon(1, ['--bootstrap', addrs[0]])
    const third = startDaemon(2, ['--bootstrap', addrs[0]])
    all.push(second, third)
    const ids = [firstId, (await second.child.whenListening(20_000)).peer, (await third.child.whenListening(20_000)).peer]
    const recs = [first, second, third]
    await waitFor('every daemon joined the two others', () => recs.every(r => count(r, 'joined') === 2), 30_000)
    for (const r of recs) {
      for (const e of r.events) assert.ok(typeof e.event.ts === 'string' && !Number.isNaN(Date.parse(e.event.ts)), 'ts is ISO 8601')
    }

    // crash: no leave notice, connections drop at once
    const killedAt = performance.now()
    third.child.signal('SIGKILL')
    await waitFor('both survivors alert for the killed daemon', () => [first, second].every(r => count(r, 'alert', ids[2]) >= 1), 15_000)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    for (const r of [first, second]) {
      const alerts = r.events.filter(e => e.event.event === 'alert')
      assert.equal(alerts.length, 1, 'exactly one alert, for the killed daemon')
      assert.equal(alerts[0].event.metric, 'ping')
      assert.ok(alerts[0].receivedAt - killedAt < 1_000 + 3_000, 'within the TTL plus slack')
      assert.equal(count(r, 'left', ids[2]), 0)
    }

    // graceful stop: exits 0 within 3 s, the survivor reports left and no alert
    const termAt = performance.now()
    second.child.signal('SIGTERM')
    const exit = await second.child.exited
    assert.equal(exit.code, 0)
    assert.ok(performance.now() - termAt < 3_000, 'exits within 3 s of SIGTERM')
    await waitFor('the survivor reports left', () => count(first, 'left', ids[1]) === 1, 10_000)
    await new Promise(resolve => setTimeout(resolve, 1_500))
    assert.equal(count(first, 'alert', ids[1]), 0, 'no alert for a peer that left')
  })

  it('redials its bootstrap peer after it restarts with the same key and address, and sees it recover', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peermon-e2e-'))
    try {
      const keyFile = join(dir, 'identity.key')
      const port = await freePort()
      const listen = ['--listen', `/ip4/127.0.0.1/tcp/${port}`, '--key', keyFile]
      const boot = startDaemon(10, listen)
      all.push(boot)
      const { peer: bootId, addrs } = await boot.child.whenListening(20_000)
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'identity key created with mode 0600')
      const fixedAddr = addrs.find(a => a.includes(`/tcp/${port}/`))
      assert.ok(fixedAddr != null, `listening on the fixed port ${port}`)
      const watcher = startDaemon(11, ['--bootstrap', fixedAddr])
      all.push(watcher)
      await waitFor('the watcher joins the bootstrap peer', () => count(watcher, 'joined', bootId) === 1, 30_000)
      boot.child.signal('SIGKILL')
      await boot.child.exited
      await waitFor('an alert for the killed bootstrap peer', () => count(watcher, 'alert', bootId) === 1, 15_000)
      const again = startDaemon(12, listen)
      all.push(again)
      assert.equal((await again.child.whenListening(20_000)).peer, bootId, 'same identity from the key file')
      await waitFor('the watcher redials and sees the peer recover', () => count(watcher, 'recovered', bootId) === 1, 45_000)
        .catch(err => { throw new Error(`${err.message}; watcher saw ${JSON.stringify(watcher.events.map(e => e.event.event))}`) })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
