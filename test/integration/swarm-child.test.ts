/**
 * The daemon child process lifecycle, against a stand-in daemon script (no
 * network): listening, garbage lines, a start failure, stopping a paused
 * child, and SIGKILL for a child that ignores SIGTERM.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DaemonChild, type NodeEvent } from '../../src/swarm/nodes/daemon-child.js'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { waitFor } from '../helpers/wait.js'
import { alive } from '../helpers/process.js'

const FAKE_DAEMON = `
const mode = process.env.FAKE_MODE ?? ''
if (mode === 'die') { process.stderr.write('boom: cannot listen\\n'); process.exit(3) }
const peer = 'fake' + process.pid
const line = (event, extra = {}) => process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), event, ...extra }) + '\\n')
const bootstraps = process.argv.flatMap((a, i) => process.argv[i - 1] === '--bootstrap' ? [a.split('/p2p/')[1]] : [])
process.on('SIGTERM', () => {
  if (mode === 'stubborn') return
  line('stopping')
  process.exit(0)
})
const lan = process.env.FAKE_ADDR_HOST === undefined ? [] : ['/ip4/' + process.env.FAKE_ADDR_HOST + '/tcp/2/p2p/' + peer]
line('listening', { peer, addrs: ['/ip4/127.0.0.1/tcp/1/p2p/' + peer, ...lan] })
process.stdout.write('this is not json\\n')
for (const other of bootstraps) line('joined', { peer: other })
setInterval(() => line('tick'), 50)
`

let dir: string
let bin: string
const started: DaemonChild[] = []

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'peermon-swarm-child-'))
  bin = join(dir, 'fake-daemon.mjs')
  writeFileSync(bin, FAKE_DAEMON)
})

after(async () => {
  await Promise.all(started.map(async (child) => await child.stop(500)))
  rmSync(dir, { recursive: true, force: true })
})

function spawnFake (mode = ''): DaemonChild {
  const child = new DaemonChild({ index: 1, args: ['--json'], binPath: bin, env: { ...process.env, FAKE_MODE: mode } })
  started.push(child)
  return child
}

describe('DaemonChild', () => {
  it('reports listening, counts garbage lines, and stops with SIGTERM', async () => {
    const child = spawnFake()
    const events: NodeEvent[] = []
    child.onEvent((e) => { events.push(e) })
    const info = await child.whenListening(20_000)
    assert.equal(info.peer, `fake${child.pid ?? ''}`)
    assert.equal(child.dialAddr, `/ip4/127.0.0.1/tcp/1/p2p/${info.peer}`)
    assert.equal(child.state, 'running')
    await waitFor('the garbage line and a tick', () => child.lineStats.garbage > 0 && events.some((e) => e.event.event === 'tick'), 10_000)
    assert.equal(child.lineStats.garbage, 1)
    assert.ok(events.some((e) => e.event.event === 'tick' && e.node === 1))
    const exit = await child.stop()
    assert.deepEqual(exit, { code: 0, signal: null })
    assert.equal(child.state, 'exited')
  })

  it('runs under a wrap command that executes the daemon in its place (same pid), and dials its dialHost', async () => {
    const child = new DaemonChild({ index: 2, args: ['--json'], binPath: bin, env: { ...process.env, FAKE_MODE: '' }, wrap: ['env', 'FAKE_ADDR_HOST=10.77.0.9'], dialHost: '10.77.0.9' })
    started.push(child)
    const info = await child.whenListening(20_000)
    assert.equal(info.peer, `fake${child.pid ?? ''}`, 'the pid signals go to is the daemon\'s')
    assert.equal(child.dialAddr, `/ip4/10.77.0.9/tcp/2/p2p/${info.peer}`)
    assert.deepEqual(await child.stop(), { code: 0, signal: null })
  })

  it('rejects whenListening with the stderr tail when the daemon exits first', async () => {
    const child = spawnFake('die')
    await assert.rejects(child.whenListening(20_000), /node 1 exited before listening \(exit code 3\)[\s\S]*boom: cannot listen/)
  })

  it('stops a paused child (SIGCONT before SIGTERM)', async () => {
    const child = spawnFake()
    await child.whenListening(20_000)
    assert.ok(child.pause())
    assert.equal(child.state, 'paused')
    const exit = await child.stop()
    assert.deepEqual(exit, { code: 0, signal: null })
  })

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const child = spawnFake('stubborn')
    await child.whenListening(20_000)
    const t0 = Date.now()
    const exit = await child.stop(300)
    assert.equal(exit.signal, 'SIGKILL')
    assert.ok(Date.now() - t0 >= 290)
    assert.equal(alive(child.pid), false)
  })
})

describe('Swarm with a stand-in daemon', () => {
  it('starts batches with bootstrap addresses, forms, and stops every child', async () => {
    const swarm = new Swarm({ nodes: 6, intervalMs: 500, ttlMs: 1500, seed: 3, perProcess: 1, binPath: bin, env: { ...process.env, FAKE_MODE: '' } })
    try {
      await swarm.start()
      assert.equal(swarm.pids.length, 6)
      const joinedAll = (i: number): boolean => swarm.tables[i].peers.size === swarm.plan.bootstraps[i].length
      await waitFor('each node to join its bootstrap peers', () => swarm.plan.bootstraps.every((_, i) => joinedAll(i)), 10_000)
      // The stand-in only "joins" its bootstrap peers, so the swarm is formed only where the plan is complete.
      swarm.plan.bootstraps.forEach((targets, i) => {
        assert.deepEqual([...swarm.tables[i].peers].sort(), targets.map((j) => swarm.node(j).peer).sort())
      })
      assert.equal(swarm.isFormed(), false)
      await assert.rejects(swarm.waitFormed(200), /did not form within 200 ms: node 0 has 0\/5 peers/)
    } finally {
      await swarm.stop()
    }
    assert.deepEqual(swarm.pids.filter(alive), [])
  })
})
