/**
 * Alert hooks with real short shell commands: what a hook sees on stdin and in
 * its environment, which events run which command, failure warnings, the
 * timeout kill (of the whole process group), the queue bound and stop().
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { after, before, describe, it } from 'node:test'
import { HookRunner, hookFor, screamingSnake, type HookRunnerInit } from '../../src/daemon/hooks.js'
import type { PeermonEvent } from '../../src/events/event.js'
import { EventRecord } from '../../src/events/record.js'
import { waitFor } from '../helpers/wait.js'

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const SELF = '12D3KooWSelfSelfSelfSelfSelfSelfSelfSelfSelfSelfSelf'
const ALERT: PeermonEvent = { type: 'alert', peer: PEER, metric: 'ping', lagMs: 12.345, ttlMs: 1000, silentMs: 1012, lastValue: 7 }
const AT = new Date('2025-01-02T03:04:05.678Z')

let dir: string
before(() => { dir = mkdtempSync(join(tmpdir(), 'peermon-hooks-')) })
after(() => { rmSync(dir, { recursive: true, force: true }) })

/** A runner whose warnings are collected; stopped by the caller's finally. */
function runner (init: Partial<HookRunnerInit>): { hooks: HookRunner, warnings: string[] } {
  const warnings: string[] = []
  const hooks = new HookRunner({ commands: {}, timeoutMs: 5_000, self: SELF, warn: (m) => { warnings.push(m) }, ...init })
  return { hooks, warnings }
}

const read = (name: string): string => readFileSync(join(dir, name), 'utf8')

function lines (name: string): string[] {
  return existsSync(join(dir, name)) ? read(name).split('\n').filter(l => l !== '') : []
}

/** Whether the process runs (a zombie, killed but not yet reaped by init, does not count). */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('HookRunner', () => {
  it('gives the hook the event as one JSON line on stdin and as PEERMON_* variables, not the daemon\'s own PEERMON_*', async () => {
    const { hooks, warnings } = runner({
      commands: { alert: `cat > ${dir}/stdin; env | grep '^PEERMON_' | sort > ${dir}/env` },
      env: { ...process.env, PEERMON_API_TOKEN: 'secret', PEERMON_ON_ALERT: 'x' }
    })
    try {
      hooks.handle(new EventRecord(ALERT, AT))
      await hooks.whenIdle()
      assert.deepEqual(warnings, [])
      assert.equal(read('stdin'), new EventRecord(ALERT, AT).json + '\n')
      const env = Object.fromEntries(lines('env').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
      assert.deepEqual(env, {
        PEERMON_EVENT: 'alert',
        PEERMON_TS: '2025-01-02T03:04:05.678Z',
        PEERMON_PEER: PEER,
        PEERMON_METRIC: 'ping',
        PEERMON_LAG_MS: '12.3',
        PEERMON_TTL_MS: '1000',
        PEERMON_SILENT_MS: '1012',
        PEERMON_LAST_VALUE: '7',
        PEERMON_NODE: SELF
      })
    } finally {
      await hooks.stop()
    }
  })

  it('runs each event type\'s own command and nothing for other events', async () => {
    const { hooks, warnings } = runner({
      commands: {
        alert: `echo "alert $PEERMON_METRIC" >> ${dir}/kinds`,
        recovered: `echo "recovered $PEERMON_DOWN_MS" >> ${dir}/kinds`,
        left: `echo "left $PEERMON_PEER" >> ${dir}/kinds`
      }
    })
    try {
      hooks.handle(new EventRecord({ type: 'joined', peer: PEER }, AT))
      hooks.handle(new EventRecord({ type: 'warning', message: 'x' }, AT))
      hooks.handle(new EventRecord({ type: 'connected', peer: PEER }, AT))
      hooks.handle(new EventRecord(ALERT, AT))
      await hooks.whenIdle()
      hooks.handle(new EventRecord({ type: 'recovered', peer: PEER, metric: 'ping', downMs: 2500 }, AT))
      await hooks.whenIdle()
      hooks.handle(new EventRecord({ type: 'left', peer: PEER }, AT))
      await hooks.whenIdle()
      assert.deepEqual(lines('kinds'), ['alert ping', 'recovered 2500', `left ${PEER}`])
      assert.deepEqual(warnings, [])
    } finally {
      await hooks.stop()
    }
  })

  it('holds a flapping peer\'s hooks: flapping runs --on-alert once, its marked alerts and recoveries nothing, stable the hook of the state it settled in', async () => {
    const { hooks, warnings } = runner({
      commands: {
        alert: `echo "alert $PEERMON_EVENT $PEERMON_STATE" >> ${dir}/flaps`,
        recovered: `echo "recovered $PEERMON_EVENT $PEERMON_STATE" >> ${dir}/flaps`
      }
    })
    const recovered: PeermonEvent = { type: 'recovered', peer: PEER, metric: 'ping', downMs: 3000 }
    const feed = async (...events: PeermonEvent[]): Promise<void> => {
      for (const event of events) {
        hooks.handle(new EventRecord(event, AT))
        await hooks.whenIdle()
      }
    }
    try {
      // Two outages run their hooks; the change that starts flapping is held, the flapping event runs --on-alert.
      await feed(ALERT, recovered, ALERT, { ...recovered, flapping: true }, { type: 'flapping', peer: PEER, transitions: 4, spanMs: 9000, windowMs: 30000 })
      // While flapping: nothing, however often it changes.
      for (let i = 0; i < 5; i++) await feed({ ...ALERT, flapping: true }, { ...recovered, flapping: true })
      await feed({ type: 'stable', peer: PEER, state: 'alive', flappedMs: 40000, transitions: 11 })
      assert.deepEqual(lines('flaps'), ['alert alert ', 'recovered recovered ', 'alert alert ', 'alert flapping ', 'recovered stable alive'])
      await feed({ type: 'stable', peer: PEER, state: 'alerting', flappedMs: 40000, transitions: 11 })
      assert.deepEqual(lines('flaps').slice(-1), ['alert stable alerting'])
      assert.deepEqual(warnings, [])
    } finally {
      await hooks.stop()
    }
  })

  it('passes a peer\'s string value through the environment only, so it cannot inject shell syntax', async () => {
    const { hooks } = runner({ commands: { alert: `printf '%s' "$PEERMON_LAST_VALUE" > ${dir}/value` } })
    try {
      hooks.handle(new EventRecord({ ...ALERT, lastValue: `$(touch ${dir}/pwned); "quoted" \`x\`` }, AT))
      await hooks.whenIdle()
      assert.equal(read('value'), `$(touch ${dir}/pwned); "quoted" \`x\``)
      assert.equal(existsSync(join(dir, 'pwned')), false)
    } finally {
      await hooks.stop()
    }
  })

  it('reports a non-zero exit as a warning with the last line of stderr', async () => {
    const { hooks, warnings } = runner({ commands: { alert: 'echo first >&2; echo "mail server down" >&2; exit 3' } })
    try {
      hooks.handle(new EventRecord(ALERT, AT))
      await hooks.whenIdle()
      assert.equal(warnings.length, 1)
      assert.equal(warnings[0], '--on-alert hook for …kSCVe2Xo ping exited with code 3: mail server down')
    } finally {
      await hooks.stop()
    }
  })

  it('reports a hook that cannot start', async () => {
    const { hooks, warnings } = runner({ commands: { left: 'true' }, shell: join(dir, 'no-such-shell') })
    try {
      hooks.handle(new EventRecord({ type: 'left', peer: PEER }, AT))
      await hooks.whenIdle()
      assert.equal(warnings.length, 1)
      assert.match(warnings[0], /^--on-left hook for …kSCVe2Xo could not start: .*ENOENT/)
    } finally {
      await hooks.stop()
    }
  })

  it('kills a hook that outlives the timeout, children included, even one that ignores SIGTERM', async () => {
    const { hooks, warnings } = runner({
      commands: { alert: `trap '' TERM; sleep 30 & echo $! > ${dir}/sleep.pid; wait` },
      timeoutMs: 300,
      killGraceMs: 300
    })
    try {
      const started = performance.now()
      hooks.handle(new EventRecord(ALERT, AT))
      await hooks.whenIdle()
      const took = performance.now() - started
      assert.ok(took >= 300 && took < 5_000, `ended after ${Math.round(took)} ms`)
      assert.deepEqual(warnings, ['--on-alert hook for …kSCVe2Xo ping timed out after 300ms; killed'])
      const sleepPid = Number(read('sleep.pid'))
      assert.ok(sleepPid > 0)
      await waitFor('the hook\'s background sleep to be killed with it', () => !alive(sleepPid), 5_000)
    } finally {
      await hooks.stop()
    }
  })

  it('does not wait for a background process that keeps stderr open after the hook exits', async () => {
    const { hooks, warnings } = runner({ commands: { alert: `sleep 30 & echo $! > ${dir}/bg.pid; exit 0` } })
    try {
      const started = performance.now()
      hooks.handle(new EventRecord(ALERT, AT))
      await hooks.whenIdle()
      assert.ok(performance.now() - started < 5_000)
      assert.deepEqual(warnings, [])
    } finally {
      await hooks.stop()
      const pid = Number(read('bg.pid'))
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL')
    }
  })

  it('never blocks: runs at most maxRunning at once, queues maxQueued, drops the rest with one warning and a total', async () => {
    const { hooks, warnings } = runner({
      commands: { alert: `echo start >> ${dir}/queue; sleep 0.3; echo "$PEERMON_METRIC" >> ${dir}/queue` },
      maxRunning: 2,
      maxQueued: 2
    })
    try {
      const started = performance.now()
      for (let i = 0; i < 8; i++) hooks.handle(new EventRecord({ ...ALERT, metric: `m${i}` }, AT))
      const handleMs = performance.now() - started
      assert.ok(handleMs < 2_000, `handle() returned in ${Math.round(handleMs)} ms`)
      assert.equal(hooks.runningCount, 2)
      assert.equal(hooks.queuedCount, 2)
      await hooks.whenIdle()
      const done = lines('queue').filter(l => l !== 'start')
      assert.deepEqual(done.sort(), ['m0', 'm1', 'm2', 'm3'])
      assert.equal(warnings.length, 2)
      assert.match(warnings[0], /^--on-alert hook for …kSCVe2Xo m4 dropped: 2 hooks running and 2 waiting$/)
      assert.equal(warnings[1], 'hooks: 4 runs dropped in all while the hook queue was full')
    } finally {
      await hooks.stop()
    }
  })

  it('stop() drops the queue, kills running hooks (SIGKILL soon for one that ignores SIGTERM) and warns no more', async () => {
    const { hooks, warnings } = runner({ commands: { alert: `trap '' TERM; sleep 30; echo late >> ${dir}/stopped` }, maxRunning: 1 })
    const started = performance.now()
    hooks.handle(new EventRecord(ALERT, AT))
    hooks.handle(new EventRecord(ALERT, AT))
    await hooks.stop(100)
    const took = performance.now() - started
    assert.ok(took < 10_000, `stopped in ${Math.round(took)} ms (grace 100 ms, then SIGTERM and SIGKILL 500 ms later; the hook sleeps 30 s)`)
    assert.equal(hooks.runningCount, 0)
    assert.equal(hooks.queuedCount, 0)
    hooks.handle(new EventRecord(ALERT, AT))
    assert.equal(hooks.runningCount, 0, 'no new hooks after stop')
    assert.deepEqual(warnings, [])
    assert.deepEqual(lines('stopped'), [])
  })
})

describe('screamingSnake', () => {
  it('picks the hook of each event', () => {
    const flapping: PeermonEvent = { type: 'flapping', peer: PEER, transitions: 4, spanMs: 1, windowMs: 1 }
    assert.equal(hookFor(ALERT), 'alert')
    assert.equal(hookFor({ ...ALERT, flapping: true }), undefined)
    assert.equal(hookFor({ type: 'recovered', peer: PEER, metric: 'ping', downMs: 1 }), 'recovered')
    assert.equal(hookFor({ type: 'recovered', peer: PEER, metric: 'ping', downMs: 1, flapping: true }), undefined)
    assert.equal(hookFor({ type: 'left', peer: PEER }), 'left')
    assert.equal(hookFor(flapping), 'alert')
    assert.equal(hookFor({ type: 'stable', peer: PEER, state: 'alive', flappedMs: 1, transitions: 1 }), 'recovered')
    assert.equal(hookFor({ type: 'stable', peer: PEER, state: 'alerting', flappedMs: 1, transitions: 1 }), 'alert')
    for (const type of ['joined', 'connected', 'disconnected'] as const) assert.equal(hookFor({ type, peer: PEER }), undefined)
    assert.equal(hookFor({ type: 'forgotten', peer: PEER, silentMs: 1 }), undefined)
  })

  it('turns event fields into variable names', () => {
    assert.equal(screamingSnake('lagMs'), 'LAG_MS')
    assert.equal(screamingSnake('lastValue'), 'LAST_VALUE')
    assert.equal(screamingSnake('ts'), 'TS')
    assert.equal(screamingSnake('a-b'), 'A_B')
  })
})
