import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config-error.js'
import { parseSwarmFlags } from '../../src/swarm/flags.js'
import { DAEMON_EXEC_ARGV, daemonEnv, supportedFlags } from '../../src/swarm/launch/daemon-process.js'
import { renderSummaryLine, renderTable, totalRssKb, type SwarmSnapshot } from '../../src/swarm/terminal-view/render.js'

describe('peermon swarm flags', () => {
  it('has defaults and reads every flag', () => {
    const c = parseSwarmFlags(['--nodes', '4'])
    assert.equal(c.nodes, 4)
    assert.equal(c.scenario, undefined)
    assert.deepEqual([c.intervalMs, c.ttlMs, c.degree, c.hangForMs, c.json], [1000, 3000, 3, 8000, false])
    const d = parseSwarmFlags(['--nodes=10', '--scenario', 'hang', '--interval', '500ms', '--ttl=1500ms', '--degree', '2',
      '--json', '--hang-for', '4s', '--timeout', '1m', '--seed', '42', '--verbose'])
    assert.deepEqual([d.nodes, d.scenario, d.intervalMs, d.ttlMs, d.degree, d.json, d.hangForMs, d.timeoutMs, d.seed, d.verbose],
      [10, 'hang', 500, 1500, 2, true, 4000, 60_000, 42, true])
    assert.equal(parseSwarmFlags(['--help']).help, true)
    assert.equal(c.netns, false)
    assert.equal(parseSwarmFlags(['--nodes', '4', '--netns']).netns, true)
    assert.equal(c.perProcess, undefined, 'the launcher chooses the packing')
    assert.equal(parseSwarmFlags(['--nodes', '40', '--per-process', '8']).perProcess, 8)
    const packedNetns = parseSwarmFlags(['--nodes', '8', '--netns', '--per-process', '3'])
    assert.equal(packedNetns.netns, true, '--netns packs too: a namespace per process')
    assert.equal(packedNetns.perProcess, 3)
    assert.equal(parseSwarmFlags(['--bogus', '-h']).help, true, 'help wins over other flags, as for the daemon')
  })

  it('without --ttl, the TTL is 3 intervals and what follows the TTL follows it', () => {
    const c = parseSwarmFlags(['--nodes', '100', '--interval', '2s'])
    assert.equal(c.ttlMs, 6000, 'a 2 s interval gets 6 s, not the 3 s of a 1 s interval')
    const hang = parseSwarmFlags(['--nodes', '4', '--scenario', 'hang', '--interval', '5s'])
    assert.equal(hang.ttlMs, 15_000)
    assert.ok(hang.hangForMs > hang.ttlMs, 'the hang still outlasts the TTL, so it is detected')
    assert.equal(parseSwarmFlags(['--nodes', '4', '--interval', '2s', '--ttl', '3s']).ttlMs, 3000, 'an explicit TTL is kept')
    assert.throws(() => parseSwarmFlags(['--nodes', '4', '--interval', '2s', '--ttl', '2s']), (err: unknown) =>
      err instanceof ConfigError && /^--ttl: must be at least 1\.5 times --interval \(2s\), got 2s$/.test(err.message))
  })

  it('rejects bad input with a ConfigError naming the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /^--nodes: required/],
      [['--nodes', 'x'], /^--nodes: expected a whole number/],
      [['--nodes', '0'], /^--nodes/],
      [['--nodes', '1', '--scenario', 'crash'], /^--nodes: a scenario needs at least 2/],
      [['--nodes', '3', '--scenario', 'explode'], /^--scenario: expected one of crash, hang, leave or a scenario file, got "explode" \(no such file\)$/],
      [['--nodes', '3', '--interval', 'soon'], /^--interval: expected a duration like 250ms, 2s or 1m, got "soon"$/],
      [['--nodes', '3', '--interval', '50ms'], /^--interval: expected a duration from 100ms to 1h, got "50ms"$/],
      [['--nodes', '3', '--scenario', 'crash', '--timeout', '0'], /^--timeout: expected a duration of at least 1ms/],
      [['--nodes', '3', '--seed', '1.5'], /^--seed: expected a whole number from 0 to 4294967295/],
      [['--nodes', '3', '--ttl', '1s'], /^--ttl: must be at least 1.5 times --interval/],
      [['--nodes', '3', '--hang-for', '5s'], /^--hang-for: only applies/],
      [['--nodes', '3', '--scenario', 'hang', '--hang-for', '2s'], /^--hang-for: must be greater than --ttl/],
      [['--nodes', '3', '--bogus'], /^unknown option --bogus/],
      [['--nodes', '3', 'extra'], /^unexpected argument/],
      [['--nodes'], /^--nodes: expected a value <n>$/],
      [['--nodes', '--json'], /^--nodes: expected a value <n>$/],
      [['--nodes', '3', '--nodes', '4'], /^--nodes: given more than once/],
      [['--nodes', '3', '--json=yes'], /^--json: takes no value/],
      [['--nodes', '3', '--per-process', '0'], /^--per-process: expected a whole number from 1/],
      [['--nodes', '3', '--netns', '--per-process', 'two'], /^--per-process: expected a whole number from 1/]
    ]
    for (const [argv, message] of cases) {
      assert.throws(() => parseSwarmFlags(argv), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${argv.join(' ')}: ConfigError`)
        assert.match(err.message, message, argv.join(' '))
        assert.ok(!err.message.includes('\n'))
        return true
      })
    }
  })

  it('keeps PEERMON_* settings out of the children, except PEERMON_DEBUG', () => {
    assert.deepEqual(daemonEnv({ PATH: '/bin', PEERMON_KEY: 'k', PEERMON_LISTEN: 'x', PEERMON_DEBUG: '1' }), { PATH: '/bin', PEERMON_DEBUG: '1' })
  })
})

describe('swarm live view', () => {
  const snapshot: SwarmSnapshot = {
    at: Date.UTC(2024, 0, 1),
    uptimeMs: 12_000,
    intervalMs: 1000,
    ttlMs: 3000,
    seed: 5,
    garbageLines: 0,
    nodes: [
      { index: 0, peer: '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', state: 'running', seen: 2, expected: 2, alerting: 0, pid: 100, packed: false, rssKb: 80_000 },
      { index: 1, peer: '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', state: 'running', seen: 1, expected: 2, alerting: 1, pid: 101, packed: false, rssKb: undefined },
      { index: 2, peer: undefined, state: 'exited', seen: 0, expected: 2, alerting: 0, pid: 102, packed: false, rssKb: undefined, exit: 'exit code 1' }
    ]
  }

  it('renders one row per node with short id, peers, alerting, pid and rss', () => {
    const lines = renderTable(snapshot)
    assert.match(lines[0], /3 nodes, interval 1.00s, ttl 3.00s, seed 5/)
    assert.match(lines[2], /^0\s+AAAAAAAA\s+running\s+2\/2\s+0\s+100\s+78 MB$/)
    assert.match(lines[3], /^1\s+BBBBBBBB\s+running\s+1\/2\s+1\s+101\s+-$/)
    assert.match(lines[4], /exited \(exit code 1\)/)
  })

  it('summarises on one line when not on a terminal', () => {
    assert.equal(renderSummaryLine(snapshot),
      '2024-01-01T00:00:00.000Z up 12.00s: running 2/3, peers seen 3/6, alerting 1, rss 78 MB, incomplete: 1')
  })

  it('counts a packed process\'s memory once in the total and marks it shared in the table', () => {
    const packed: SwarmSnapshot = {
      ...snapshot,
      nodes: [
        { ...snapshot.nodes[0], pid: 200, packed: true, rssKb: 100_000 },
        { ...snapshot.nodes[1], pid: 200, packed: true, rssKb: 100_000 },
        { ...snapshot.nodes[0], index: 2, pid: 300, packed: false, rssKb: 50_000 }
      ]
    }
    assert.equal(totalRssKb(packed.nodes), 150_000)
    assert.match(renderSummaryLine(packed), /rss 146 MB/)
    assert.match(renderTable(packed)[2], /200\s+98 MB \(shared\)$/)
  })

  it('gives daemons only the V8 flags the running Node starts with', () => {
    assert.deepEqual(supportedFlags(['--max-semi-space-size=1', '--no-such-flag-for-peermon']), ['--max-semi-space-size=1'],
      'an unknown flag would stop every daemon from starting (Node exits with "bad option")')
    assert.ok(supportedFlags(DAEMON_EXEC_ARGV).includes('--max-semi-space-size=1'))
  })
})
