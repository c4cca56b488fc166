import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assignProcesses, defaultPerProcess, hostGroupsOf } from '../../src/swarm/packed/grouping.js'
import { frameLine, parseCommand, parseFramedLine } from '../../src/swarm/packed/protocol.js'
import { Swarm } from '../../src/swarm/launch/launcher.js'

describe('packing nodes into processes', () => {
  it('gives each node a process of its own in small swarms, and packs large ones onto a few processes per core', () => {
    assert.equal(defaultPerProcess(4, 2), 1)
    assert.equal(defaultPerProcess(5, 2), 2)
    assert.equal(defaultPerProcess(10, 2), 3)
    assert.equal(defaultPerProcess(100, 2), 25)
    assert.equal(defaultPerProcess(200, 2), 50)
    assert.equal(defaultPerProcess(100, 8), 7, 'more cores, more processes')
    assert.equal(defaultPerProcess(5, 0), 3, 'a machine that reports no core counts as one')
  })

  it('puts every node in exactly one process, solo nodes alone, packs no larger than asked and dealt round-robin', () => {
    const groups = assignProcesses(100, 13, [7, 42])
    assert.deepEqual(groups.slice(0, 2), [[7], [42]])
    const all = groups.flat().sort((a, b) => a - b)
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i))
    const packs = groups.slice(2)
    assert.equal(packs.length, 8)
    assert.ok(packs.every((g) => g.length <= 13 && g.length >= 12), packs.map((g) => g.length).join(' '))
    assert.deepEqual(packs[0].slice(0, 3), [0, 9, 17], 'the first nodes (the best connected) are spread over the processes')
    assert.deepEqual(assignProcesses(3, 1), [[0], [1], [2]])
    assert.deepEqual(assignProcesses(3, 5, [9]), [[0, 1, 2]], 'a solo index outside the swarm is ignored')
    assert.throws(() => assignProcesses(3, 0), /perProcess/)
  })

  it('packs the groups a partition or split keeps apart so that no process straddles two of them, or one and the rest', () => {
    const split = assignProcesses(10, 3, [], [[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]])
    assert.deepEqual(split, [[0, 2, 4], [1, 3], [5, 7, 9], [6, 8]], 'each side packed on its own, round-robin')
    const partition = assignProcesses(10, 3, [], [[[3], [0, 1, 2, 4, 5, 6, 7, 8, 9]]])
    assert.deepEqual(partition.find((g) => g.includes(3)), [3], 'a node partitioned alone runs alone')
    assert.deepEqual(partition.map((g) => g.length).sort(), [1, 3, 3, 3])

    // Two groupings at once (a partition of 3, later a split), a node partitioned alone, nodes in no group of the split.
    const apart = [[[3], [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]], [[0, 1, 2], [6, 7, 8]]]
    const groups = assignProcesses(12, 4, [10], apart)
    assert.deepEqual(groups.flat().sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i), 'every node once')
    assert.deepEqual(groups[0], [10], 'solo first')
    for (const group of groups) {
      assert.ok(group.length <= 4)
      for (const grouping of apart) {
        const sides = new Set(group.map((node) => grouping.findIndex((side) => side.includes(node))))
        assert.equal(sides.size, 1, `process ${group.join(',')} straddles ${JSON.stringify(grouping)}`)
      }
    }
    assert.deepEqual(groups.find((g) => g.includes(4)), [4, 5, 9, 11], 'nodes in no group of the split share a process')
    assert.deepEqual(assignProcesses(10, 3), assignProcesses(10, 3, [], []), 'no grouping: the packing of before')
  })

  it('maps a partition of nodes to a partition of their namespaces, refusing one that would cut through a namespace', () => {
    // Nodes 0..5 in hosts: 0 -> 0, 1 and 2 share 1, 3 -> 2, 4 and 5 share 3.
    const hostOf = [0, 1, 1, 2, 3, 3]
    assert.deepEqual(hostGroupsOf([[1, 2], [0, 3, 4, 5]], hostOf), [[1], [0, 2, 3]])
    assert.deepEqual(hostGroupsOf([[0], [3]], hostOf), [[0], [2]], 'nodes in no group stay out of it')
    assert.deepEqual(hostGroupsOf([], hostOf), [])
    assert.throws(() => hostGroupsOf([[1], [2]], hostOf), /^RangeError: partition: nodes 1, 2 share a process and its network namespace, and the partition puts them on different sides$/)
    assert.throws(() => hostGroupsOf([[4], [0, 1, 2, 3]], hostOf), /partition: nodes 4, 5 share a process and its network namespace, and the partition names only some of them/)
    assert.throws(() => hostGroupsOf([[9]], hostOf), /no node 9/)
  })
})

describe('packing with the latency relay', () => {
  it('gives every node a process of its own when a node\'s connections are relayed, and refuses packing them', () => {
    const options = { nodes: 12, intervalMs: 1000, ttlMs: 3000, seed: 1, netns: true, latencyNodes: [2] }
    assert.ok(new Swarm(options).processGroups.every((group) => group.length === 1))
    assert.ok(new Swarm({ ...options, latencyNodes: [], perProcess: 3 }).processGroups.some((group) => group.length > 1), 'packed without it')
    assert.throws(() => new Swarm({ ...options, perProcess: 3 }), /latencyNodes need a process \(and namespace\) per node/)
  })
})

describe('the packed process protocol', () => {
  it('frames each node\'s lines so they read back to the same node, kind and text', () => {
    const lines = [
      { node: 0, kind: 'stdout', text: '{"ts":"x","event":"listening"}' },
      { node: 12, kind: 'stderr', text: 'peermon: --ttl: bad' },
      { node: 3, kind: 'exit', code: 2 },
      { node: 7, kind: 'exit', code: null, signal: 'SIGKILL' },
      { node: 4, kind: 'stdout', text: 'exit 5' }
    ] as const
    for (const line of lines) assert.deepEqual(parseFramedLine(frameLine(line)), line)
  })

  it('reads anything else as no line at all', () => {
    for (const text of ['', 'hello', '{"event":"alert"}', '-1 {}', '1.5 {}', '1234567 > {}', '3 exit x', '3 exit SIGSTOP', ' 3 > {}', '3 {}', '3 >{}']) {
      assert.equal(parseFramedLine(text), undefined, text)
    }
  })

  it('accepts only the launcher\'s commands', () => {
    assert.deepEqual(parseCommand('{"start":2,"args":["--json"],"env":{"A":"b"}}'), { start: 2, args: ['--json'], env: { A: 'b' } })
    assert.deepEqual(parseCommand('{"stop":2}'), { stop: 2 })
    assert.deepEqual(parseCommand('{"kill":2}'), { kill: 2 })
    for (const text of ['{}', '{"kill":-2}', '{"kill":"all"}', '{"start":-1,"args":[]}', '{"start":1,"args":[1]}', '{"start":1,"args":[],"env":{"A":1}}', '[]', 'null', '{"stop":"2"}']) {
      assert.throws(() => parseCommand(text), /not a pack command/, text)
    }
    assert.throws(() => parseCommand('{'), /not a pack command: \{/)
  })
})
