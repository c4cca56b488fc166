/**
 * The latency fault on real network namespaces (needs root, `ip`, `tc` and
 * `nft`; skipped with the reason otherwise, never under CI=true): a TCP echo
 * through the slowed node's link takes its delay ± jitter longer, both when it
 * dials and when it is dialled, other pairs do not, a partition still holds
 * and a heal ends it; and a 5-node swarm at 1 s / 3 s with 200 ms ± 50 ms on
 * one node raises no alert while the others receive that node's reports about
 * 200 ms after it sent them (its sentAt against their receivedAt, read from an
 * observer's HTTP API). Nothing of it is left afterwards: namespaces, the
 * relay's address, its sockets.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { listLanNames } from '../../src/swarm/netns/cleanup.js'
import { LanLatency, RELAY_ADDRESS } from '../../src/swarm/netns/latency.js'
import { ownerOf } from '../../src/swarm/netns/names.js'
import { lanAddress, NetnsLan } from '../../src/swarm/netns/lan.js'
import { parseTimeline } from '../../src/swarm/scenario/timeline-file.js'
import { runTimeline } from '../../src/swarm/scenario/timeline.js'
import { inCiPass, netnsSkip } from '../helpers/ci.js'
import { sleep } from '../helpers/wait.js'

const skip = netnsSkip() || inCiPass(2)
const PORT = 7000

/** A TCP echo server on the node's address. */
const ECHO = `require('node:net').createServer((s) => { s.on('error', () => {}); s.pipe(s) }).listen(${PORT}, process.argv[1], () => { console.log('listening') })`
/** Sends one byte 5 times over one connection, each after the echo of the previous; prints the round trips (ms) or the error. */
const PING = `
const s = require('node:net').connect({ port: ${PORT}, host: process.argv[1], noDelay: true })
const rtts = []; let t = 0
const send = () => { t = performance.now(); s.write('x') }
s.on('connect', send)
s.on('data', () => { rtts.push(Math.round(performance.now() - t)); if (rtts.length < 5) send(); else { console.log(JSON.stringify(rtts)); process.exit() } })
s.on('error', (err) => { console.log(JSON.stringify(err.code)); process.exit() })
setTimeout(() => { console.log(JSON.stringify('timeout')); process.exit() }, 3000)
`

const started: ChildProcess[] = []
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

function startIn (lan: NetnsLan, index: number, code: string, arg: string): ChildProcess {
  const [command, ...prefix] = lan.execPrefix(index)
  const child = spawn(command, [...prefix, process.execPath, '-e', code, arg], { stdio: ['ignore', 'pipe', 'inherit'] })
  started.push(child)
  return child
}

async function ping (lan: NetnsLan, from: number, to: number): Promise<number[] | string> {
  const child = startIn(lan, from, PING, lan.host(to).address)
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  await new Promise((resolve) => child.once('exit', resolve))
  return JSON.parse(out) as number[] | string
}

/** What of launcher `owner`'s LAN and relay is still on the machine. */
function remains (owner: number): string[] {
  const names = listLanNames().filter((name) => ownerOf(name) === owner)
  const addr = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? ''
  return [...names, ...addr.split('\n').filter((line) => line.includes(`${RELAY_ADDRESS}/`))]
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

describe('latency on network namespaces', { skip, timeout: 120_000 }, () => {
  it('a TCP echo through the slowed node takes its delay ± jitter more, whichever side dials; other pairs do not; a partition holds; heal ends it', async () => {
    const lan = await NetnsLan.create({ hosts: 3 })
    let latency: LanLatency | undefined
    try {
      latency = await LanLatency.create(lan, [0], async (i) => ({ host: lan.host(i).address, port: PORT }))
      for (const i of [0, 1, 2]) {
        const server = startIn(lan, i, ECHO, lan.host(i).address)
        await new Promise((resolve) => server.stdout?.once('data', resolve))
      }
      const fast = await ping(lan, 1, 0)
      assert.ok(Array.isArray(fast) && median(fast) < 50, `no delay yet: ${JSON.stringify(fast)}`)
      latency.setDelay(0, { delayMs: 200, jitterMs: 50 })
      const dialling = await ping(lan, 0, 1)
      const dialled = await ping(lan, 1, 0)
      const others = await ping(lan, 1, 2)
      for (const [what, rtts] of [['node 0 dialling', dialling], ['node 0 dialled', dialled]] as const) {
        assert.ok(Array.isArray(rtts), `${what}: ${JSON.stringify(rtts)}`)
        assert.ok(rtts.every((ms) => ms >= 145 && ms < 600), `${what}: every round trip 150-250 ms plus the machine's own: ${JSON.stringify(rtts)}`)
      }
      assert.ok(Array.isArray(others) && median(others) < 50, `nodes 1 and 2 are not slowed: ${JSON.stringify(others)}`)
      await lan.partition([[0], [1, 2]])
      assert.deepEqual([await ping(lan, 0, 1), await ping(lan, 1, 0)], ['timeout', 'timeout'], 'relayed or not, nothing crosses a partition')
      await lan.heal()
      latency.heal()
      const healed = await ping(lan, 0, 1)
      assert.ok(Array.isArray(healed) && median(healed) < 50, `healed: ${JSON.stringify(healed)}`)
      assert.ok(latency.relay.stats.connections >= 4)
    } finally {
      await latency?.close()
      await lan.destroy()
    }
    assert.equal(latency.relay.stats.open, 0, 'every relayed connection closed')
    assert.deepEqual(remains(process.pid), [])
  })

  it('5 nodes at 1 s / 3 s, 200 ms ± 50 ms on node 1: no alert, and node 0 receives node 1\'s reports ~200 ms after they were sent', async () => {
    const timeline = parseTimeline(JSON.stringify({
      swarm: { nodes: 5, interval: '1s', ttl: '3s', netns: true, seed: 3, settle: '3s' },
      steps: [{ at: '1s', latency: { node: 1, delay: '200ms', jitter: '50ms' } }, { after: '10s', heal: 1 }, { after: '4s', stop: true }],
      expect: [{ noAlerts: { among: 'all' } }]
    }), 'latency.json')
    const token = 'latency-test-token'
    // Node 0 serves its HTTP API on its LAN address; the test reaches it over the bridge, which has the relay's address.
    const swarm = new Swarm({
      nodes: 5, intervalMs: 1000, ttlMs: 3000, netns: true, seed: 3, latencyNodes: timeline.slowed,
      nodeArgs: (i) => i === 0 ? ['--api', `${lanAddress(0)}:0`, '--api-token', token] : []
    })
    let api: string | undefined
    swarm.onEvent(({ node, event }) => { if (node === 0 && event.event === 'listening') api = event.api as string | undefined })
    const lags = { slowed: [] as number[], other: [] as number[], healed: [] as number[] }
    /** Node 0's newest report from each peer: receivedAt - sentAt, node 1's under `phase`, the others' under other (while slowed). */
    const sample = async (phase: 'slowed' | 'healed'): Promise<void> => {
      const res = await fetch(`${api as string}/api/v0/peers`, { headers: { authorization: `Bearer ${token}` } })
      const body = await res.json() as { peers: Array<{ peer: string, metrics: Record<string, { receivedAt: number, sentAt: number }> }> }
      for (const p of body.peers) {
        const lag = Math.max(...Object.values(p.metrics).map((m) => m.receivedAt - m.sentAt))
        if (p.peer === swarm.nodes[1].peer) lags[phase].push(lag)
        else if (phase === 'slowed') lags.other.push(lag)
      }
    }
    let phase = 'before' as 'before' | 'slowed' | 'healed' | 'done'
    const sampling = (async () => {
      while (phase !== 'done') {
        await sleep(700)
        if (api !== undefined && (phase === 'slowed' || phase === 'healed')) await sample(phase).catch(() => {})
      }
    })()
    try {
      const report = await runTimeline(swarm, timeline, {
        timeoutMs: 60_000,
        log: (line) => {
          if (line.includes('step 1:')) setTimeout(() => { if (phase === 'before') phase = 'slowed' }, 3000)
          if (line.includes('step 2:')) setTimeout(() => { if (phase === 'slowed') phase = 'healed' }, 2500)
        }
      })
      assert.equal(report.alerts, 0, JSON.stringify(report.verdicts))
      assert.ok(report.pass, JSON.stringify(report.verdicts))
      phase = 'done'
      await sampling
      assert.ok(lags.slowed.length >= 5, `sampled node 1's reports: ${JSON.stringify(lags)}`)
      assert.ok(median(lags.slowed) >= 140 && median(lags.slowed) < 600, `node 1's reports arrive ~200 ms late: ${JSON.stringify(lags.slowed)}`)
      assert.ok(median(lags.other) < 100, `the others' on time: ${JSON.stringify(lags.other)}`)
      assert.ok(lags.healed.length > 0 && median(lags.healed) < 100, `healed: ${JSON.stringify(lags.healed)}`)
      assert.ok((swarm.latency?.relay.stats.connections ?? 0) >= 4, 'node 1\'s connections went through the relay')
    } finally {
      phase = 'done'
      await swarm.stop()
    }
    assert.equal(swarm.latency?.relay.stats.open, 0)
    assert.deepEqual(remains(process.pid), [])
  })
})
