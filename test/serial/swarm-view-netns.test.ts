/**
 * The swarm view with network namespaces (needs root, `ip`, `tc` and `nft`,
 * and Chromium as in test/e2e/dashboard.test.ts; skipped with the reason
 * otherwise): 5 daemons on a LAN, the page's "partition" buttons put nodes 3
 * and 4 on one side, and the matrix shows the split as two blocks of alerts
 * (each side alerting on the other, nobody on its own side); "heal every
 * link" brings the whole matrix back to alive.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { Swarm } from '../../src/swarm/launcher.js'
import { startViewServer, type ViewServer } from '../../src/swarm/view-server.js'
import { waitFor } from '../helpers/wait.js'
import { openPage } from '../helpers/chromium.js'
import { chromiumSkip, firstCiPassOnly, netnsSkip } from '../helpers/ci.js'

const skip = netnsSkip() || chromiumSkip() || firstCiPassOnly()

const NODES = 5
const SIDE = new Set([3, 4])

describe('swarm view: a partition in the matrix (netns)', { skip }, () => {
  let swarm: Swarm | undefined
  let view: ViewServer | undefined
  let browser: Browser | undefined
  let page: Page
  const logged: string[] = []
  const problems: string[] = []

  before(async () => {
    swarm = new Swarm({ nodes: NODES, intervalMs: 500, ttlMs: 1500, seed: 11, netns: true })
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

    for (const node of SIDE) await page.locator(`#nodes tr[data-node="${node}"] button[data-action="partition"]`).click()
    const split = Array.from({ length: NODES }, (_, r) => Array.from({ length: NODES }, (_, c) =>
      r === c ? 's' : SIDE.has(r) === SIDE.has(c) ? 'a' : 'x').join(''))
    await waitFor('the partition as two blocks', async () => (await drawn()).join() === split.join(), 20_000, 200)
    assert.equal(await page.locator('#nodes tr[data-node="3"] button[data-action="heal"]').isDisabled(), false)

    await page.locator('#heal-all').click()
    await waitFor('everyone alive after the heal', async () => (await drawn()).join() === allAlive.join(), 20_000, 200)
    assert.ok(logged.some((line) => /view: partition node 3/.test(line)) && logged.some((line) => /view: heal every link/.test(line)), logged.join('\n'))
    assert.deepEqual(problems, [])
  })
})
