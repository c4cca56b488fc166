/**
 * The swarm view's pure state: the who-sees-whom matrix from peer tables,
 * which buttons each node allows and why not, partition groups, the feed,
 * and the --view flags.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config-error.js'
import type { EventLine } from '../../src/events/event.js'
import { parseSwarmFlags } from '../../src/swarm/flags.js'
import { PeerTable } from '../../src/swarm/nodes/peer-table.js'
import { Feed, LeftPeers, disabledActions, matrixOf, partitionGroups, viewNode, type NodeFacts } from '../../src/swarm/browser-view/model.js'

const ts = '2024-01-01T00:00:00.000Z'
const e = (event: string, peer: string, metric?: string): EventLine => ({ ts, event, peer, ...(metric === undefined ? {} : { metric }) })
const running = (peer: string, more: Partial<NodeFacts> = {}): NodeFacts => ({ peer, state: 'running', packed: false, pid: 100, ...more })

/** A swarm of `peers.length` nodes where everyone has heard from everyone. */
function formed (peers: string[]): { nodes: NodeFacts[], tables: PeerTable[], left: LeftPeers } {
  const tables = peers.map((self) => {
    const table = new PeerTable()
    for (const p of peers) if (p !== self) table.apply(e('joined', p))
    return table
  })
  return { nodes: peers.map((p) => running(p)), tables, left: new LeftPeers() }
}

/** The matrix as rows, for readable assertions. */
const rows = (matrix: string, n: number): string[] => Array.from({ length: n }, (_, i) => matrix.slice(i * n, (i + 1) * n))

describe('swarm view: matrix', () => {
  it('shows self on the diagonal and everyone alive in a formed swarm', () => {
    const { nodes, tables, left } = formed(['A', 'B', 'C'])
    assert.deepEqual(rows(matrixOf(nodes, tables, left.sets(3)), 3), ['saa', 'asa', 'aas'])
  })

  it('shows unknown before a node hears a peer, and for nodes not yet spawned', () => {
    const tables = [new PeerTable(), new PeerTable(), new PeerTable()]
    tables[0].apply(e('joined', 'B'))
    const nodes = [running('A'), running('B'), undefined]
    // Node 2 is not running: its row has no observer; nobody can have heard from it.
    assert.deepEqual(rows(matrixOf(nodes, tables, new LeftPeers().sets(3)), 3), ['sa.', '.s.', '--s'])
  })

  it('shows a killed node as a column of alerts and a row without observer', () => {
    const { nodes, tables, left } = formed(['A', 'B', 'C', 'D'])
    nodes[2] = running('C', { state: 'exited' })
    for (const i of [0, 1, 3]) tables[i].apply(e('alert', 'C', 'ping'))
    assert.deepEqual(rows(matrixOf(nodes, tables, left.sets(4)), 4), ['saxa', 'asxa', '--s-', 'aaxs'])
    tables[1].apply(e('recovered', 'C', 'ping'))
    assert.equal(rows(matrixOf(nodes, tables, left.sets(4)), 4)[1], 'asaa', 'a recovery turns the cell alive again')
  })

  it('shows a peer that left as left, until it joins again or is forgotten', () => {
    const { nodes, tables, left } = formed(['A', 'B', 'C'])
    for (const i of [0, 1]) {
      tables[i].apply(e('left', 'C'))
      left.apply(i, e('left', 'C'))
    }
    nodes[2] = running('C', { state: 'exited' })
    assert.deepEqual(rows(matrixOf(nodes, tables, left.sets(3)), 3), ['sal', 'asl', '--s'])
    left.apply(0, e('forgotten', 'C'))
    tables[0].apply(e('forgotten', 'C'))
    assert.equal(matrixOf(nodes, tables, left.sets(3)).slice(0, 3), 'sa.')
    left.apply(1, e('joined', 'C'))
    tables[1].apply(e('joined', 'C'))
    assert.equal(matrixOf(nodes, tables, left.sets(3)).slice(3, 6), 'asa')
  })

  it('shows a partition as two blocks of alerts', () => {
    const peers = ['A', 'B', 'C', 'D', 'E']
    const { nodes, tables, left } = formed(peers)
    const side = new Set([3, 4])
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 5; col++) if (row !== col && side.has(row) !== side.has(col)) tables[row].apply(e('alert', peers[col], 'ping'))
    }
    assert.deepEqual(rows(matrixOf(nodes, tables, left.sets(5)), 5), ['saaxx', 'asaxx', 'aasxx', 'xxxsa', 'xxxas'])
  })

  it('draws 100 nodes in one string of 10 000 cells', () => {
    const peers = Array.from({ length: 100 }, (_, i) => `P${i}`)
    const { nodes, tables, left } = formed(peers)
    const started = performance.now()
    const matrix = matrixOf(nodes, tables, left.sets(100))
    assert.equal(matrix.length, 10_000)
    assert.equal(matrix.replace(/a/g, '').length, 100, 'all alive but the diagonal')
    assert.ok(performance.now() - started < 500, 'cheap enough to run every tick')
  })
})

describe('swarm view: actions', () => {
  const plain = { netns: false, partitioned: false }

  it('allows kill, hang and stop on a running node of its own process; resume only when hung', () => {
    const d = disabledActions(running('A'), plain)
    assert.deepEqual(Object.keys(d).sort(), ['heal', 'partition', 'restart', 'resume'])
    assert.match(d.restart ?? '', /still running/)
    assert.match(d.partition ?? '', /--netns/)
    const hung = disabledActions(running('A', { state: 'paused' }), plain)
    assert.equal(hung.resume, undefined)
    assert.equal(hung.hang, 'already hung')
    assert.equal(hung.kill, undefined, 'a hung node can still be killed')
  })

  it('allows kill and leave on a packed node, not hang, saying why', () => {
    const d = disabledActions(running('A', { packed: true }), plain)
    for (const action of ['hang', 'resume'] as const) assert.match(d[action] ?? '', /packed .* cannot be frozen alone/)
    assert.equal(d.kill, undefined, 'a packed node is crashed alone')
    assert.equal(d.stop, undefined)
  })

  it('allows only restart on an exited node, nothing on an unstarted one', () => {
    const exited = disabledActions(running('A', { state: 'exited' }), plain)
    assert.deepEqual(Object.keys(exited).sort(), ['hang', 'heal', 'kill', 'partition', 'resume', 'stop'])
    assert.equal(exited.restart, undefined)
    assert.equal(disabledActions(undefined, plain).kill, 'not started yet')
    assert.equal(disabledActions(undefined, plain).restart, 'not started yet')
  })

  it('allows partition or heal with --netns, by side', () => {
    const out = disabledActions(running('A'), { netns: true, partitioned: false })
    assert.equal(out.partition, undefined)
    assert.equal(out.heal, 'not partitioned')
    const inside = disabledActions(running('A'), { netns: true, partitioned: true })
    assert.equal(inside.heal, undefined)
    assert.match(inside.partition ?? '', /already/)
  })

  it('names the other nodes of a packed node\'s process (with --netns they share its namespace, so partition and heal move them together)', () => {
    const node = viewNode(4, running('A', { packed: true }), undefined, { netns: true, partitioned: false, mates: [1, 7] })
    assert.deepEqual(node.mates, [1, 7])
    assert.equal(node.disabled.partition, undefined, 'a packed node\'s process can be partitioned as a whole')
    assert.deepEqual(viewNode(2, running('A'), undefined, { netns: true, partitioned: false }).mates, [])
  })

  it('partitions the chosen nodes together against the rest', () => {
    assert.deepEqual(partitionGroups(new Set(), 4), [])
    assert.deepEqual(partitionGroups(new Set([2]), 4), [[2], [0, 1, 3]])
    assert.deepEqual(partitionGroups(new Set([3, 1]), 4), [[1, 3], [0, 2]])
    assert.deepEqual(partitionGroups(new Set([0, 1]), 2), [], 'everyone on one side is no partition')
  })
})

describe('swarm view: feed', () => {
  it('keeps the monitor events with node indices, and hands out each entry once', () => {
    const feed = new Feed(3)
    const indexOf = (peer: string): number | undefined => ({ A: 0, B: 1 } as Record<string, number>)[peer]
    feed.addEvent(0, 1, e('joined', 'B'), indexOf)
    feed.addEvent(0, 2, e('connected', 'B'), indexOf)
    feed.addEvent(1, 3, e('alert', 'A', 'ping'), indexOf)
    feed.addEvent(1, 4, e('alert', 'Zzzzzzzzzz', 'ping'), indexOf)
    const first = feed.take()
    assert.deepEqual(first.map((f) => [f.node, f.event, f.peer, f.detail]),
      [[0, 'joined', 1, 'node 1'], [1, 'alert', 0, 'node 0 ping'], [1, 'alert', null, 'peer …zzzzzzzz ping']])
    assert.deepEqual(feed.take(), [])
    feed.add({ at: 5, node: 2, event: 'exited', peer: null, detail: 'signal SIGKILL' })
    feed.add({ at: 6, node: 2, event: 'action', peer: null, detail: 'kill node 2' })
    assert.deepEqual(feed.take().map((f) => f.event), ['exited', 'action'])
    assert.deepEqual(feed.all().map((f) => f.seq), [3, 4, 5], 'only the last 3 kept')
  })

  it('says what a crowded event counts: invented peers gone silent, or new peers waiting', () => {
    const feed = new Feed()
    const none = (): undefined => undefined
    feed.addEvent(0, 1, { ts: '', event: 'crowded', reason: 'silent', silent: 1200, waiting: 0, usedBytes: 1, budgetBytes: 2 }, none)
    feed.addEvent(0, 2, { ts: '', event: 'crowded', reason: 'admission', waiting: 37, usedBytes: 1, budgetBytes: 2 }, none)
    assert.deepEqual(feed.take().map((f) => f.detail), ['1200 unconfirmed peers went silent, no alert each', 'admission: 37 new peers waiting'])
  })
})

describe('swarm view: flags', () => {
  it('reads --view with or without an address, and --view-token', () => {
    assert.equal(parseSwarmFlags(['--nodes', '3']).view, undefined)
    assert.deepEqual(parseSwarmFlags(['--nodes', '3', '--view']).view, { host: '127.0.0.1', port: 0 })
    assert.deepEqual(parseSwarmFlags(['--view', '--nodes', '3']).view, { host: '127.0.0.1', port: 0 })
    assert.deepEqual(parseSwarmFlags(['--nodes', '3', '--view', ':8080']).view, { host: '127.0.0.1', port: 8080 })
    const open = parseSwarmFlags(['--nodes', '3', '--view', '0.0.0.0:8080', '--view-token', 's3cret'], {})
    assert.deepEqual([open.view, open.viewToken], [{ host: '0.0.0.0', port: 8080 }, 's3cret'])
    assert.equal(parseSwarmFlags(['--nodes', '3', '--view', '0.0.0.0:0'], { PEERMON_VIEW_TOKEN: 'env' }).viewToken, 'env')
  })

  it('refuses a non-loopback view without a token, a bad address, and a token without --view', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--view', '0.0.0.0:0'], /^--view: 0\.0\.0\.0 is not a loopback address; .*--view-token/],
      [['--view', 'nonsense'], /^--view: expected host:port/],
      [['--view', 'off'], /^--view: expected host:port/],
      [['--view-token', 'x'], /^--view-token: only applies with --view/]
    ]
    for (const [args, message] of cases) {
      assert.throws(() => parseSwarmFlags(['--nodes', '3', ...args], {}), (err: unknown) => err instanceof ConfigError && message.test(err.message), args.join(' '))
    }
  })
})
