/**
 * A packed swarm on network namespaces, one per process (needs root, `ip`,
 * `tc` and `nft`; skipped with the reason otherwise, never under CI=true):
 * 8 nodes in 3 processes run a timeline that partitions node 5 off and heals
 * it (runTimeline, as `peermon swarm --scenario` does). Node 5 runs alone, the
 * 7 others share two processes, every node of a process listens on its own
 * port of the process's one address, every expectation holds (the 7 alert on
 * node 5, none on a node of its own namespace or another), and nothing of the
 * LAN is left. How a split's sides are packed apart: test/unit/swarm-packing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { listLanNames } from '../../src/swarm/netns/cleanup.js'
import { ownerOf } from '../../src/swarm/netns/names.js'
import { parseTimeline } from '../../src/swarm/scenario/timeline-file.js'
import { runTimeline, timelineSwarm } from '../../src/swarm/scenario/timeline.js'
import { inCiPass, netnsSkip } from '../helpers/ci.js'

const skip = netnsSkip() || inCiPass(2)

const TIMELINE = parseTimeline(JSON.stringify({
  name: 'packed: one node partitioned',
  swarm: { nodes: 8, interval: '500ms', ttl: '1500ms', netns: true, seed: 3 },
  steps: [
    { at: '1s', partition: 5 },
    { after: '6s', heal: 'all' },
    { after: '6s', stop: true }
  ],
  expect: [
    { alerted: { on: 5, by: 'others', within: '2*ttl+1s' } },
    { isolated: { nodes: 5, within: '2*ttl+1s' } },
    { noAlerts: { among: '0-4,6-7' } },
    { recovered: { by: 'all', within: '10s', after: 'heal' } }
  ]
}), 'packed.json')

describe('a packed swarm on network namespaces', { skip, timeout: 120_000 }, () => {
  it('8 nodes in 3 processes, a namespace each: a partition of one node passes, and nothing is left', async () => {
    const swarm: Swarm = timelineSwarm(TIMELINE, { perProcess: 4 })
    const log: string[] = []
    try {
      const report = await runTimeline(swarm, TIMELINE, { timeoutMs: 60_000, log: (line) => { log.push(line) } })
      const failed = report.verdicts.filter((v) => !v.pass).map((v) => `${v.description}: ${v.figure}; ${v.failures.slice(0, 5).join('; ')}`)
      assert.deepEqual(failed, [], log.join('\n'))

      // The processes, with node 5 alone; each one namespace and address.
      assert.deepEqual(report.processes.map((p) => p.nodes), [[0, 2, 4, 7], [1, 3, 6], [5]])
      assert.equal(new Set(report.processes.map((p) => p.namespace)).size, 3)
      assert.ok(report.processes.every((p) => /^pm-\d+-\d+$/.test(p.namespace ?? '') && /^10\.77\.\d+\.\d+$/.test(p.address ?? '')), JSON.stringify(report.processes))
      assert.ok(log.some((line) => line.includes('one network namespace and address each') && line.includes('0,2,4,7 | 1,3,6 | 5')), log.join('\n'))
      for (const { nodes, address } of report.processes) {
        const addrs = nodes.map((i) => swarm.node(i).dialAddr ?? '')
        assert.ok(addrs.every((a) => a.startsWith(`/ip4/${address ?? '?'}/tcp/`)), `nodes ${nodes.join(',')} dial on their namespace's address: ${addrs.join(' ')}`)
        assert.equal(new Set(addrs.map((a) => a.split('/')[4])).size, nodes.length, 'each on a port of its own')
        assert.equal(new Set(nodes.map((i) => swarm.node(i).pid)).size, 1, 'one process')
      }
      console.log(`# packed netns: ${report.verdicts.map((v) => `${v.kind} ${v.figure}`).join('; ')}`)
    } finally {
      await swarm.stop()
    }
    assert.deepEqual(listLanNames().filter((name) => ownerOf(name) === process.pid), [], 'the LAN removed')
  })
})
