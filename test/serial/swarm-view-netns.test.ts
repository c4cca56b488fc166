/**
 * The swarm view with network namespaces (needs root, `ip`, `tc` and `nft`,
 * and Chromium as in test/e2e/dashboard.test.ts; skipped with the reason
 * otherwise): 5 daemons on a LAN, packed two to a process (0,3 | 1,4 | 2),
 * a namespace per process. Node 3's partition button names its process
 * ("partition 0,3") and puts both on one side, and the matrix shows the split
 * as two blocks of alerts (each side alerting on the other, nobody on its own
 * side); "heal every link" brings the whole matrix back to alive.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { startViewServer, type ViewServer } from '../../src/swarm/browser-view/server.js'
import { waitFor } from '../helpers/wait.js'
import { openPage } from '../helpers/chromium.js'
import { chromiumSkip, inCiPass, netnsSkip } from '../helpers/ci.js'

const skip = netnsSkip() || chromiumSkip() || inCiPass(3)

const NODES = 5
/** Node 3's process: a partition of node 3 is one of its namespace. */
const SIDE = new Set([0, 3])

describe('swarm view: a partition in the matrix (netns)', { skip }, () => {
  let swarm: Swarm | undefined
  let view: ViewServer | undefined
  let browser: Browser | undefined
  let page: Page
  const logged: string[] = []
  const problems: string[] = []

  before(async () => {
    swarm = new Swarm({ nodes: NODES, intervalMs: 500, ttlMs: 1500, seed: 11, netns: true, perProcess: 2 })
    view = await startViewServer(swarm, { host: '127.0.0.1', port: 0, log: (line) => { logged.push(line) } })
    await swarm.start()
    await swarm.waitFormed(60_000)
    ;({ browser, page } = await openPage(problems))
  })

  after(async () => {
    try {
      await browser?.close()
    } finally {
      try {
        await view?.close()
      } finally {
        await swarm?.stop()
      }
    }
  })

  /** The matrix as the page drew it (the canvas's data-matrix), row by row. */
  const drawn = async (): Promise<string[]> =>
    (await page.locator('#matrix').getAttribute('data-matrix') ?? '').match(new RegExp(`.{${NODES}}`, 'g')) ?? []

  it('shows a partition as blocks of alerts, and a heal as everyone alive again', async () => {
    const view_ = view as ViewServer
    await page.goto(`${view_.url}/`)
    const allAlive = Array.from({ length: NODES }, (_, r) => Array.from({ length: NODES }, (_, c) => r === c ? 's' : 'a').join(''))
    await waitFor('the whole matrix alive', async () => (await drawn()).join() === allAlive.join(), 30_000, 200)
    assert.equal(await page.locator('#heal-all').isHidden(), false, 'heal every link is offered with --netns')

    const partition3 = page.locator('#nodes tr[data-node="3"] button[data-action="partition"]')
    assert.equal(await partition3.textContent(), 'partition 0,3', 'the button names the nodes of its process')
    assert.match(await partition3.getAttribute('title') ?? '', /nodes 0,3 share one process and network namespace/)
    await partition3.click()
    const split = Array.from({ length: NODES }, (_, r) => Array.from({ length: NODES }, (_, c) =>
      r === c ? 's' : SIDE.has(r) === SIDE.has(c) ? 'a' : 'x').join(''))
    await waitFor('the partition as two blocks', async () => (await drawn()).join() === split.join(), 20_000, 200)
    assert.equal(await page.locator('#nodes tr[data-node="3"] button[data-action="heal"]').isDisabled(), false)
    assert.equal(await page.locator('#nodes tr[data-node="0"] button[data-action="heal"]').isDisabled(), false, 'node 0 went with node 3')

    await page.locator('#heal-all').click()
    await waitFor('everyone alive after the heal', async () => (await drawn()).join() === allAlive.join(), 20_000, 200)
    assert.ok(logged.some((line) => /view: partition nodes 0, 3 \(one process and network namespace\)/.test(line)) && logged.some((line) => /view: heal every link/.test(line)), logged.join('\n'))
    assert.deepEqual(problems, [])
  })
})
