/**
 * Packed swarms end to end: several real daemons per process (peermon _pack),
 * started by the launcher, each its own libp2p node; a packed node stops on
 * its own without its neighbours; no process outlives its launcher.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { parseFramedLine } from '../../src/swarm/packed/protocol.js'
import type { ScenarioReport } from '../../src/swarm/scenario/builtin.js'
import { waitFor } from '../helpers/wait.js'
import { alive } from '../helpers/process.js'

const swarms: Swarm[] = []
after(async () => { await Promise.all(swarms.map(async (s) => { await s.stop() })) })

describe('packed swarms', { timeout: 300_000 }, () => {
  it('runs several real nodes per process: own identities and ports, all hear each other, one stops alone', async () => {
    const swarm = new Swarm({ nodes: 6, intervalMs: 500, ttlMs: 1500, seed: 11, perProcess: 3, solo: [5] })
    swarms.push(swarm)
    await swarm.start()
    await swarm.waitFormed(90_000)

    assert.deepEqual(swarm.processGroups, [[5], [0, 2, 4], [1, 3]])
    assert.equal(swarm.pids.length, 3, 'six nodes in three processes')
    assert.equal(new Set(swarm.nodes.map((n) => n.pid)).size, 3)
    assert.equal(new Set(swarm.nodes.map((n) => n.peer)).size, 6, 'an identity per node')
    assert.equal(new Set(swarm.nodes.map((n) => n.dialAddr)).size, 6, 'a listen address per node')
    assert.deepEqual(swarm.nodes.map((n) => n.packed), [true, true, true, true, true, false])

    const one = swarm.node(1)
    const sibling = swarm.node(3)
    assert.equal(one.signal('SIGSTOP'), false, 'SIGSTOP to a packed node would freeze its neighbours: refused')
    assert.equal(one.pause(), false)
    assert.equal(one.state, 'running')

    const left = new Set<number>()
    let falseAlerts = 0
    swarm.onEvent(({ node, event }) => {
      if (event.event === 'left' && event.peer === one.peer) left.add(node)
      if (event.event === 'alert') falseAlerts++
    })
    assert.equal(one.signal('SIGTERM'), true, 'SIGTERM stops a packed node gracefully, alone')
    assert.deepEqual(await one.exited, { code: 0, signal: null })
    await waitFor('every other node to report node 1 left', () => left.size === 5, 20_000)
    // Its process and its neighbour there keep going: two more intervals pass without an alert.
    await new Promise((resolve) => setTimeout(resolve, 2 * 1500))
    assert.equal(sibling.state, 'running')
    assert.ok(sibling.pid !== undefined && alive(sibling.pid))
    assert.equal(falseAlerts, 0)

    const pids = swarm.pids
    await swarm.stop()
    assert.deepEqual(pids.filter(alive), [], 'every process is gone after stop()')
    assert.ok(swarm.nodes.every((n) => n.exit !== undefined))
  })

  it('a packed node killed looks crashed to the others (alerts, no left, silent) and restarts on the same key and port', async () => {
    const swarm = new Swarm({ nodes: 4, intervalMs: 500, ttlMs: 1500, seed: 5, perProcess: 2 })
    swarms.push(swarm)
    await swarm.start()
    await swarm.waitFormed(60_000)
    const victim = swarm.node(1)
    const mate = swarm.node(swarm.processMates(1).find((i) => i !== 1) as number)
    const others = [0, 2, 3]
    assert.equal(victim.packed, true)
    const { peer, dialAddr } = victim
    const alerted = new Set<number>()
    const back = new Set<number>()
    const left: number[] = []
    const victimLines: string[] = []
    let killedAt = Infinity
    swarm.onEvent(({ node, event, receivedAt }) => {
      if (node === 1 && receivedAt > killedAt) victimLines.push(event.event)
      if (event.peer !== peer || node === 1) return
      if (event.event === 'alert') alerted.add(node)
      if (event.event === 'left') left.push(node)
      if (back.size < 3 && alerted.has(node) && (event.event === 'recovered' || event.event === 'joined')) back.add(node)
    })

    killedAt = performance.now()
    assert.equal(victim.signal('SIGKILL'), true, 'SIGKILL crashes a packed node alone')
    assert.deepEqual(await victim.exited, { code: null, signal: 'SIGKILL' }, 'its exit reads like a killed process')
    await waitFor('every other node to alert on the killed node', () => alerted.size === 3, 20_000)
    assert.deepEqual(left, [], 'no leave notice reached a peer')
    assert.deepEqual(victimLines, [], 'a killed node prints nothing more (no stopping line)')
    assert.equal(mate.state, 'running', 'its process mate runs on')

    const again = await swarm.restart(1)
    assert.equal(again.peer, peer, 'the same identity')
    assert.equal(again.dialAddr, dialAddr, 'the same listen address and port')
    await waitFor('every other node to hear the restarted node again', () => back.size === 3, 30_000)
    assert.deepEqual(others.filter((i) => swarm.node(i).exit !== undefined), [])
  })

  it('a packed process stops its nodes and exits when its launcher goes away, and ignores a bad command', async () => {
    const child = spawn(process.execPath, [PEERMON_BIN, '_pack'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
    try {
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
      const seen: string[] = []
      createInterface({ input: child.stdout }).on('line', (text) => { seen.push(text) })
      child.stdin.write('this is not a command\n')
      for (const node of [0, 1]) child.stdin.write(`${JSON.stringify({ start: node, args: ['--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', 'off'] })}\n`)
      child.stdin.write(`${JSON.stringify({ start: 2, args: ['--interval', 'soon'] })}\n`)
      const events = (): Array<{ node: number, event: string }> => seen.flatMap((text) => {
        const line = parseFramedLine(text)
        if (line?.kind !== 'stdout') return []
        return [{ node: line.node, event: (JSON.parse(line.text) as { event: string }).event }]
      })
      await waitFor('both nodes listening', () => events().filter((e) => e.event === 'listening').length === 2, 30_000)
      assert.match(stderr, /not a pack command/)
      assert.ok(seen.includes('2 exit 2'), `a node with a bad flag ends alone with exit code 2:\n${seen.join('\n')}`)
      assert.ok(seen.some((text) => /^2 ! peermon: --interval: /.test(text)), 'and its one-line reason')

      child.stdin.end()
      assert.equal(await exited, 0)
      for (const node of [0, 1]) {
        assert.ok(events().some((e) => e.node === node && e.event === 'stopping'), `node ${node} stopped gracefully`)
        assert.ok(seen.includes(`${node} exit 0`))
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    }
  })

  it('peermon swarm --per-process: a crash scenario on a packed swarm kills its victim alone', async () => {
    const child = spawn(process.execPath, [PEERMON_BIN, 'swarm', '--nodes', '6', '--per-process', '3', '--interval', '500ms', '--ttl', '1500ms',
      '--scenario', 'crash', '--seed', '7', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    try {
      assert.equal(await exited, 0, stderr)
      const report = JSON.parse(stdout) as ScenarioReport
      assert.equal(report.pass, true)
      assert.equal(report.survivors.length, 5)
      assert.ok(report.survivors.every((s) => s.detected === 'alert'))
      assert.equal(report.victimExit, 'signal SIGKILL')
      assert.equal(report.falseAlerts, 0)
      assert.match(stderr, /5 nodes in 2 processes of up to 3, 1 alone/)
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    }
  })
})
