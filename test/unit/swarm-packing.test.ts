import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assignProcesses, defaultPerProcess } from '../../src/swarm/packing.js'
import { frameLine, parseCommand, parseFramedLine } from '../../src/swarm/pack-protocol.js'

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
})

describe('the packed process protocol', () => {
  it('frames each node\'s lines so they read back to the same node, kind and text', () => {
    const lines = [
      { node: 0, kind: 'stdout', text: '{"ts":"x","event":"listening"}' },
      { node: 12, kind: 'stderr', text: 'peermon: --ttl: bad' },
      { node: 3, kind: 'exit', code: 2 },
      { node: 4, kind: 'stdout', text: 'exit 5' }
    ] as const
    for (const line of lines) assert.deepEqual(parseFramedLine(frameLine(line)), line)
  })

  it('reads anything else as no line at all', () => {
    for (const text of ['', 'hello', '{"event":"alert"}', '-1 {}', '1.5 {}', '1234567 > {}', '3 exit x', ' 3 > {}', '3 {}', '3 >{}']) {
      assert.equal(parseFramedLine(text), undefined, text)
    }
  })

  it('accepts only the launcher\'s commands', () => {
    assert.deepEqual(parseCommand('{"start":2,"args":["--json"],"env":{"A":"b"}}'), { start: 2, args: ['--json'], env: { A: 'b' } })
    assert.deepEqual(parseCommand('{"stop":2}'), { stop: 2 })
    for (const text of ['{}', '{"start":-1,"args":[]}', '{"start":1,"args":[1]}', '{"start":1,"args":[],"env":{"A":1}}', '[]', 'null', '{"stop":"2"}']) {
      assert.throws(() => parseCommand(text), /not a pack command/, text)
    }
    assert.throws(() => parseCommand('{'), /not a pack command: \{/)
  })
})
