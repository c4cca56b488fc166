/**
 * The command-line client against real daemons: `peermon peers`, `metrics`,
 * `alerts` and `watch` (human and --json) talk to a daemon's API with a token;
 * `watch` sees the alert for a SIGKILLed daemon; `health` answers without a
 * token and the token can come from a file; one daemon bootstraps by DNS
 * name without a peer id; an unreachable daemon, a
 * missing token and bad flags give one line and exit codes 1, 1 and 2.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { shortPeer } from '../../src/events/format.js'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import { freePort, listeningApi, sawEvent, startDaemon, type Recorded } from '../helpers/daemons.js'
import { waitFor } from '../helpers/wait.js'

const TOKEN = 'e2e-client-token'

interface CliResult { code: number | null, stdout: string, stderr: string }

/** Runs `peermon <args>` to completion (killed after 20 s). */
async function cli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [PEERMON_BIN, ...args], { env: { ...process.env, PEERMON_API: '', PEERMON_API_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 20_000)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** A long-running `peermon watch`, its output collected as it comes. */
interface Watch { child: ChildProcess, out: () => string, err: () => string, exit: Promise<number | null> }

function startWatch (args: string[], env: NodeJS.ProcessEnv): Watch {
  const child = spawn(process.execPath, [PEERMON_BIN, 'watch', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exit = new Promise<number | null>(resolve => child.once('close', resolve))
  return { child, out: () => stdout, err: () => stderr, exit }
}

/** Waits until the daemon's health counts `n` open event streams (the watches connected). */
async function waitForStreams (api: string, n: number): Promise<void> {
  await waitFor(`${n} watches to connect to ${api}`, async () => {
    const health = await fetch(`${api}/api/v0/health`).then(async r => await r.json() as { eventClients: number })
    return health.eventClients >= n
  }, 15_000, 100)
}

describe('peermon peers/metrics/alerts/watch (real daemons and CLI processes)', () => {
  const daemons: Recorded[] = []
  const watches: Watch[] = []
  let api = ''
  let ids: string[] = []

  before(async () => {
    const first = startDaemon(0, ['--api', '127.0.0.1:0', '--api-token', TOKEN, '--tag', 'zone=eu'])
    daemons.push(first)
    await first.child.whenListening(20_000)
    api = listeningApi(first) ?? ''
    assert.match(api, /^http:\/\/127\.0\.0\.1:\d+$/, 'the listening line carries the API URL')
    const boot = first.child.dialAddr ?? ''
    // The second bootstraps by name and without a peer id, as in a container (/dns4/seed/tcp/4011).
    const byName = boot.replace(/^\/ip4\/127\.0\.0\.1\/(tcp\/\d+)\/p2p\/.*$/, '/dns4/localhost/$1')
    assert.notEqual(byName, boot)
    for (const [i, bootstrap] of [[1, boot], [2, byName]] as const) daemons.push(startDaemon(i, ['--api', 'off', '--bootstrap', bootstrap, '--tag', `zone=z${i}`]))
    ids = [first.child.peer ?? '']
    for (const d of daemons.slice(1)) ids.push((await d.child.whenListening(20_000)).peer)
    await waitFor('the API daemon hears from both others', () => ids.slice(1).every(id => sawEvent(first, 'joined', id)), 30_000)
  })

  after(async () => {
    for (const w of watches) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await Promise.all(daemons.map(async d => await d.child.stop()))
  })

  it('peermon health prints one line and exits 0 without a token; a token file serves the other commands', async () => {
    const health = await cli(['health', '--api', api])
    assert.equal(health.code, 0, health.stderr)
    assert.match(health.stdout, new RegExp(`^ok ${shortPeer(ids[0]).replace(/[.*+?^${'$'}{}()|[\]\\]/g, '\\$&')} up \\S+, peers 2 alive 0 alerting 0 left, healthy, connections 2/4\\n$`))
    const dir = await mkdtemp(join(tmpdir(), 'peermon-token-'))
    try {
      await writeFile(join(dir, 'token'), `${TOKEN}\n`)
      const peers = await cli(['peers', '--api', api, '--json'], { PEERMON_API_TOKEN_FILE: join(dir, 'token') })
      assert.equal(peers.code, 0, peers.stderr)
      assert.equal((JSON.parse(peers.stdout) as { peers: unknown[] }).peers.length, 2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    const down = await cli(['health', '--api', '127.0.0.1:1'])
    assert.equal(down.code, 1, 'exit 1 when nothing answers')
  })

  it('peermon peers prints an aligned table of the other peers, and --json the API response', async () => {
    const table = await cli(['peers', '--api', api], { PEERMON_API_TOKEN: TOKEN })
    assert.equal(table.code, 0, table.stderr)
    const lines = table.stdout.trimEnd().split('\n')
    assert.match(lines[0], /^PEER +STATE +LAST SEEN +CONN +LOAD +FREE MEM +FREE DISK +PEERS +TAGS$/)
    assert.equal(lines.length, 3)
    for (const id of ids.slice(1)) {
      const row = lines.find(l => l.startsWith(shortPeer(id)))
      assert.ok(row !== undefined, `a row for ${id}`)
      assert.match(row, /^…\S{8} +alive +\d/)
      assert.match(row, / yes /)
      assert.match(row, /GiB|MiB/)
      assert.match(row, /zone=z[12]$/)
    }
    const headingEnds = lines[0].indexOf('LAST SEEN') + 'LAST SEEN'.length
    assert.ok(lines.slice(1).every(l => /\S/.test(l[headingEnds - 1]) && l[headingEnds] === ' '), 'LAST SEEN right-aligned under its heading')

    const json = await cli(['peers', '--json', '--api-token', TOKEN], { PEERMON_API: api })
    assert.equal(json.code, 0, json.stderr)
    const parsed = JSON.parse(json.stdout) as { self: string, peers: Array<{ peer: string, state: string }> }
    assert.equal(parsed.self, ids[0])
    assert.deepEqual(parsed.peers.map(p => p.peer).sort(), ids.slice(1).sort())
  })

  it('peermon metrics <name> lists each peer\'s latest value', async () => {
    const result = await cli(['metrics', 'tag:zone', '--api', api, '--api-token', TOKEN])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.trimEnd().split('\n')
    assert.match(lines[0], /^PEER +VALUE +AGE +EXPIRES IN$/)
    assert.deepEqual(lines.slice(1).map(l => l.split(/ +/)[1]).sort(), ['z1', 'z2'])
    const none = await cli(['metrics', 'queue_depth', '--api', api, '--api-token', TOKEN])
    assert.equal(none.stdout, 'no peer has a current "queue_depth" metric\n')
  })

  it('peermon watch follows the stream and shows the alert for a SIGKILLed daemon; peermon alerts has it too', async () => {
    const human = startWatch(['--api', api], { PEERMON_API_TOKEN: TOKEN })
    const json = startWatch(['--api', api, '--api-token', TOKEN, '--json', '--type', 'alert'], {})
    watches.push(human, json)
    await waitForStreams(api, 2)

    daemons[2].child.signal('SIGKILL')
    const victim = shortPeer(ids[2])
    await waitFor('watch prints the alert', () => human.out().split('\n').some(l => / alert +/.test(l) && l.includes(`${victim} ping expired`)), 15_000)
    await waitFor('watch --json prints the alert', () => json.out().includes('"event":"alert"'), 5_000)
    const line = human.out().split('\n').find(l => / alert +/.test(l)) ?? ''
    assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} alert {8}…\S{8} ping expired, silent [\d.]+m?s \(ttl 1s, lag [\d.]+m?s\), last [\d.]+$/)
    const jsonLines = json.out().trimEnd().split('\n').map(l => JSON.parse(l) as { event: string, peer: string, metric: string })
    assert.ok(jsonLines.every(l => l.event === 'alert'), '--type alert lets only alerts through')
    assert.equal(jsonLines[0].peer, ids[2])
    assert.equal(jsonLines[0].metric, 'ping')

    const alerts = await cli(['alerts', '--api', api, '--api-token', TOKEN])
    assert.equal(alerts.code, 0, alerts.stderr)
    assert.match(alerts.stdout, /^TIME +EVENT +PEER +METRIC +DETAIL\n/)
    assert.match(alerts.stdout, new RegExp(`\\d\\d:\\d\\d:\\d\\d  alert +${victim}  ping +silent [\\d.]+m?s \\(ttl 1s, lag [\\d.]+m?s\\), last [\\d.]+\\n`))

    // Ctrl-C ends a watch cleanly.
    human.child.kill('SIGINT')
    json.child.kill('SIGINT')
    assert.equal(await human.exit, 0, human.err())
    assert.equal(await json.exit, 0, json.err())
  })

  it('a watch whose daemon dies exits 1 with one line', async () => {
    const extra = startDaemon(3, ['--api', '127.0.0.1:0'])
    daemons.push(extra)
    await extra.child.whenListening(20_000)
    const extraApi = listeningApi(extra) ?? ''
    const watch = startWatch(['--api', extraApi], {})
    watches.push(watch)
    await waitForStreams(extraApi, 1)
    extra.child.signal('SIGKILL')
    assert.equal(await watch.exit, 1)
    // The socket closes with an error or, at times, cleanly: either way one line saying so.
    assert.match(watch.err(), /^peermon: the event stream from http:\/\/127\.0\.0\.1:\d+ (broke off \(.+\)|ended); the daemon stopped or crashed\n$/)
  })

  it('errors: unreachable daemon and missing token exit 1, bad flags exit 2, each with one line', async () => {
    const port = await freePort()
    const down = await cli(['peers', '--api', `127.0.0.1:${port}`])
    assert.equal(down.code, 1)
    assert.equal(down.stderr, `peermon: cannot reach the peermon API at http://127.0.0.1:${port}: connection refused (is \`peermon daemon\` running with its --api at that address?)\n`)
    const noToken = await cli(['alerts', '--api', api])
    assert.equal(noToken.code, 1)
    assert.match(noToken.stderr, /^peermon: http:\/\/127\.0\.0\.1:\d+\/api\/v0\/alerts: .*token.* \(HTTP 401\); the daemon wants a token: pass --api-token or set PEERMON_API_TOKEN\n$/)
    const bad = await cli(['metrics', '--api', api])
    assert.equal(bad.code, 2)
    assert.equal(bad.stderr, 'peermon: metrics: expected a metric name, e.g. peermon metrics load\n')
    const unknown = await cli(['watch', '--follow'])
    assert.equal(unknown.code, 2)
    assert.equal(unknown.stderr, 'peermon: unknown option --follow (see peermon watch --help)\n')
  })
})
