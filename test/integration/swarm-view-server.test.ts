/**
 * The swarm view's server without a running swarm (nothing is spawned): with
 * a scenario file driving the swarm (`peermon swarm --scenario <file> --view`)
 * the page only watches: every button is disabled with the reason, a POST is
 * refused with 409 and reaches no node, and the timeline's steps show in the
 * feed.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseSwarmFlags } from '../../src/swarm/flags.js'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { startViewServer, type ViewServer } from '../../src/swarm/browser-view/server.js'
import type { ActionResponse, ViewTick } from '../../src/swarm/browser-view/types.js'

const READ_ONLY = 'the scenario file drives this swarm'
const HOST = { host: '127.0.0.1' }

describe('swarm view of a scenario file', () => {
  const swarm = new Swarm({ nodes: 3, intervalMs: 1000, ttlMs: 3000, seed: 1 })
  const logged: string[] = []
  let view: ViewServer

  before(async () => {
    view = await startViewServer(swarm, { host: '127.0.0.1', port: 0, log: (line) => { logged.push(line) }, readOnly: READ_ONLY })
  })
  after(async () => { await view.close() })

  it('disables every button with the reason, and says so above the matrix', async () => {
    const tick = (await view.app.inject({ url: '/api/state', headers: HOST })).json<ViewTick>()
    assert.equal(tick.state.readOnly, READ_ONLY)
    for (const node of tick.state.nodes) {
      assert.deepEqual(Object.values(node.disabled), Array(7).fill(READ_ONLY), `node ${node.index}`)
    }
  })

  it('refuses a node action and "heal every link" with 409, naming the reason', async () => {
    const post = async (url: string): Promise<{ status: number, body: ActionResponse }> => {
      const res = await view.app.inject({ method: 'POST', url, headers: { ...HOST, 'content-type': 'application/json' }, payload: '{}' })
      return { status: res.statusCode, body: res.json<ActionResponse>() }
    }
    const kill = await post('/api/nodes/1/kill')
    assert.equal(kill.status, 409)
    assert.equal(kill.body.message, `cannot kill node 1: ${READ_ONLY}`)
    assert.ok(logged.some((line) => line.includes('kill node 1 refused')), logged.join('\n'))
    assert.equal(swarm.nodes.length, 0, 'nothing was started or signalled')
  })

  it('shows the timeline\'s lines in the feed', () => {
    view.note('+2.01s step 1: partition 3')
    const entry = view.snapshot().feed.at(-1)
    assert.equal(entry?.event, 'step')
    assert.equal(entry?.node, -1)
    assert.equal(entry?.detail, '+2.01s step 1: partition 3')
  })
})

describe('peermon swarm --scenario <file> --view', () => {
  it('serves the page for a scenario file too, on loopback by default', () => {
    const file = fileURLToPath(new URL('../../../scenarios/crash-hang-resume.json', import.meta.url))
    const config = parseSwarmFlags(['--scenario', file, '--view'], {})
    assert.deepEqual(config.view, { host: '127.0.0.1', port: 0 })
    assert.equal(config.timeline?.file, file)
    assert.throws(() => parseSwarmFlags(['--scenario', file, '--view', '0.0.0.0:8080'], {}), /^ConfigError: --view: 0\.0\.0\.0 is not a loopback address/)
  })
})
