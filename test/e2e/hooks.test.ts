/**
 * Alert hooks in a real daemon: `--on-alert` runs for a SIGKILLed peer with
 * the alert on stdin and in PEERMON_* variables; a failing `--on-left` hook
 * becomes a `warning` line and the daemon carries on.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { sawEvent, startDaemon, type Recorded } from '../helpers/daemons.js'
import { waitFor } from '../helpers/wait.js'

describe('peermon daemon --on-alert/--on-left (real CLI processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peermon-hooks-e2e-'))
  const daemons: Recorded[] = []
  after(async () => {
    await Promise.all(daemons.map(async d => await d.child.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs the alert hook for a crashed peer and reports a failing leave hook as a warning', async () => {
    const alertFile = join(dir, 'alert')
    const watcher = startDaemon(0, [
      '--api', 'off',
      '--on-alert', `{ cat; env | grep '^PEERMON_' | sort; } > ${alertFile}.tmp && mv ${alertFile}.tmp ${alertFile}`,
      '--on-left', 'echo "pager unreachable" >&2; exit 4'
    ])
    daemons.push(watcher)
    await watcher.child.whenListening(20_000)
    const boot = watcher.child.dialAddr ?? ''
    const crasher = startDaemon(1, ['--api', 'off', '--bootstrap', boot])
    const leaver = startDaemon(2, ['--api', 'off', '--bootstrap', boot])
    daemons.push(crasher, leaver)
    const crashed = (await crasher.child.whenListening(20_000)).peer
    const left = (await leaver.child.whenListening(20_000)).peer
    await waitFor('both peers joined', () => sawEvent(watcher, 'joined', crashed) && sawEvent(watcher, 'joined', left), 30_000)

    crasher.child.signal('SIGKILL')
    await waitFor('the alert hook wrote its file', () => existsSync(alertFile), 15_000)
    const [stdinLine, ...envLines] = readFileSync(alertFile, 'utf8').trimEnd().split('\n')
    const alert = JSON.parse(stdinLine) as Record<string, unknown>
    assert.equal(alert.event, 'alert')
    assert.equal(alert.peer, crashed)
    assert.equal(alert.metric, 'ping')
    const logged = watcher.events.find(e => e.event.event === 'alert')?.event
    assert.deepEqual(alert, logged, 'stdin carries the same JSON as the daemon\'s --json line')
    const env = Object.fromEntries(envLines.map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    assert.equal(env.PEERMON_EVENT, 'alert')
    assert.equal(env.PEERMON_PEER, crashed)
    assert.equal(env.PEERMON_METRIC, 'ping')
    assert.equal(env.PEERMON_NODE, watcher.child.peer)
    assert.equal(env.PEERMON_TS, alert.ts)
    assert.match(env.PEERMON_LAG_MS, /^\d+(\.\d)?$/)

    leaver.child.signal('SIGTERM')
    await waitFor('the failing leave hook is reported', () => watcher.events.some(e => e.event.event === 'warning' && String(e.event.message).startsWith('--on-left hook')), 15_000)
    const warning = watcher.events.find(e => e.event.event === 'warning' && String(e.event.message).startsWith('--on-left hook'))?.event
    assert.equal(warning?.message, `--on-left hook for …${left.slice(-8)} exited with code 4: pager unreachable`)
    assert.equal(watcher.child.state, 'running', 'the daemon carries on')
  })
})
