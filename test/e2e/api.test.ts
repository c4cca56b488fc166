import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { DaemonChild } from '../../src/swarm/nodes/daemon-child.js'
import type { AlertsResponse, ApiError, HealthResponse, PeersResponse } from '../../src/api/types.js'
import { SseReader } from '../helpers/api-sse.js'
import { listeningApi, startDaemon } from '../helpers/daemons.js'
import { waitFor } from '../helpers/wait.js'

const TOKEN = 'e2e-token'
const AUTH = { authorization: `Bearer ${TOKEN}` }

interface Started { child: DaemonChild, api?: string }

/** Starts a daemon and resolves once it printed its listening line, with the API's URL from that line. */
async function startListening (index: number, args: string[]): Promise<Started> {
  const started = startDaemon(index, args)
  all.push(started.child)
  await started.child.whenListening(20_000)
  return { child: started.child, api: listeningApi(started) }
}
const all: DaemonChild[] = []

async function getJson<T> (url: string, headers: Record<string, string> = AUTH): Promise<{ status: number, body: T }> {
  const res = await fetch(url, { headers })
  return { status: res.status, body: await res.json() as T }
}

describe('HTTP API of real daemons', () => {
  let dir: string
  after(async () => {
    await Promise.all(all.map(async child => await child.stop()))
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('serves peers, /metrics and the event stream; the alert of a SIGKILLed peer survives a restart through the alert log', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peermon-api-e2e-'))
    const alertLog = join(dir, 'alerts.jsonl')
    const monitorArgs = ['--api', '127.0.0.1:0', '--api-token', TOKEN, '--alert-log', alertLog]
    const a = await startListening(0, monitorArgs)
    assert.match(a.api ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'the listening line carries the API URL')
    const b = await startListening(1, ['--api', 'off', '--bootstrap', a.child.dialAddr ?? ''])
    const bId = b.child.peer ?? ''
    assert.equal(b.api, undefined, 'no API, no api field')

    await waitFor('the monitor to see its peer alive', async () => {
      const { body } = await getJson<PeersResponse>(`${a.api}/api/v0/peers`)
      return body.peers.some(p => p.peer === bId && p.state === 'alive' && p.connected && 'ping' in p.metrics)
    }, 20_000, 100)
    const denied = await getJson<ApiError>(`${a.api}/api/v0/peers`, {})
    assert.deepEqual(denied, { status: 401, body: { error: 'this API needs a token: send Authorization: Bearer <token>', statusCode: 401 } })
    assert.equal((await getJson<HealthResponse>(`${a.api}/api/v0/health`, {})).body.ok, true, 'health needs no token')

    const metrics = await fetch(`${a.api}/metrics`, { headers: AUTH })
    assert.equal(metrics.status, 200)
    const text = await metrics.text()
    assert.match(text, /^peermon_peers\{state="alive"\} 1$/m)
    assert.match(text, new RegExp(`^peermon_peer_metric\\{peer="${bId}",name="ping"\\} `, 'm'))
    assert.match(text, /^libp2p_/m, 'libp2p\'s own metrics')
    assert.match(text, /^process_resident_memory_bytes /m, 'process metrics')

    const stream = await SseReader.open(`${a.api}/api/v0/events?token=${TOKEN}`)
    try {
      assert.equal(stream.status, 200)
      b.child.signal('SIGKILL')
      const frame = await stream.waitFor('an alert for the killed daemon', f => f.event === 'alert' && (JSON.parse(f.data) as { peer?: string }).peer === bId, 15_000)
      const alert = JSON.parse(frame.data) as Record<string, unknown>
      assert.equal(alert.metric, 'ping')
      assert.equal(alert.event, 'alert')
      const { body: history } = await getJson<AlertsResponse>(`${a.api}/api/v0/alerts`)
      assert.deepEqual(history.events.filter(e => e.event === 'alert'), [alert], 'the history has the streamed line')
    } finally {
      await stream.close()
    }

    // A graceful stop, then a restart on the same alert log: the history is still there.
    const stopped = await a.child.stop()
    assert.equal(stopped.code, 0, `graceful stop (${JSON.stringify(stopped)})${a.child.stderrSummary()}`)
    const logged = (await readFile(alertLog, 'utf8')).trimEnd().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    assert.ok(logged.some(e => e.event === 'joined' && e.peer === bId), 'joined is logged')
    const loggedAlert = logged.find(e => e.event === 'alert' && e.peer === bId)
    assert.ok(loggedAlert !== undefined, 'the alert is logged')
    const restarted = await startListening(2, monitorArgs)
    const { body: after } = await getJson<AlertsResponse>(`${restarted.api}/api/v0/alerts`)
    assert.deepEqual(after.events.filter(e => e.peer === bId && e.event === 'alert'), [loggedAlert], 'the earlier alert, served after the restart')
    assert.equal((await getJson<HealthResponse>(`${restarted.api}/api/v0/health`)).body.alertLogCorrupt, 0)

    // Another daemon on the same API address: it says why and exits 2, as for any operator mistake.
    const { child: clash } = startDaemon(3, ['--api', (restarted.api ?? '').replace('http://', '')])
    all.push(clash)
    const exit = await clash.exited
    assert.equal(exit.code, 2)
    assert.match(clash.stderrTail.join('\n'), /--api: cannot listen on 127\.0\.0\.1:\d+: address in use/)
  })
})
