/**
 * Local health with real daemons (the swarm launcher's child processes): the
 * whole host stalls (every daemon SIGSTOPped together for 5 s, then resumed)
 * and is starved of CPU (busy processes beside the swarm): no daemon alerts;
 * then one daemon is SIGKILLed: every survivor still alerts on it, once.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import type { NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { sleep, waitFor } from '../helpers/wait.js'


describe('local health, real daemons', () => {
  const busy: ChildProcess[] = []
  let swarm: Swarm | undefined
  after(async () => {
    for (const p of busy) p.kill('SIGKILL')
    await swarm?.stop()
  })

  it('a whole-host stall and CPU starvation raise no alert; a crash after them is still alerted on by every survivor', async () => {
    // A process per daemon: the test stops them all with SIGSTOP.
    swarm = new Swarm({ nodes: 5, intervalMs: 1000, ttlMs: 3000, seed: 3, readyTimeoutMs: 60_000, perProcess: 1 })
    const events: NodeEvent[] = []
    swarm.onEvent((e) => { events.push(e) })
    await swarm.start()
    await swarm.waitFormed(90_000)
    await sleep(4_000)
    const alertsSince = (at: number): NodeEvent[] => events.filter(e => e.event.event === 'alert' && e.at >= at)
    const since = Date.now()

    for (const child of swarm.nodes) child.signal('SIGSTOP')
    await sleep(5_000)
    for (const child of swarm.nodes) child.resume()
    await waitFor('every daemon to say it stalled', () => swarm?.nodes.every(c => events.some(e => e.node === c.index && e.event.event === 'degraded' && e.at >= since)) === true, 20_000)
    await sleep(9_000) // past every TTL and the longest postponement

    for (let i = 0; i < 4; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
    await sleep(10_000)
    for (const p of busy.splice(0)) p.kill('SIGKILL')
    await sleep(6_000)
    assert.deepEqual(alertsSince(since).map(e => `${e.node} -> ${String(e.event.peer).slice(-6)}`), [], 'no daemon accused a peer of its own stall')

    const victim = swarm.node(2)
    const killedAt = Date.now()
    victim.signal('SIGKILL')
    const survivors = swarm.nodes.filter(c => c !== victim)
    await waitFor('every survivor to alert on the killed daemon', () => survivors.every(c => events.some(e => e.node === c.index && e.event.event === 'alert' && e.event.peer === victim.peer && e.at >= killedAt)), 30_000)
    await sleep(3_000)
    const after = alertsSince(killedAt)
    assert.ok(after.every(e => e.event.peer === victim.peer), 'alerts only for the killed daemon')
    assert.equal(after.length, survivors.length, 'one alert from each survivor')
  })
})
