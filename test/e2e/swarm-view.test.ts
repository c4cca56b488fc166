/**
 * `peermon swarm --view` in a real browser: the CLI starts 4 daemons (a
 * process each) and serves its page; headless Chromium (as in
 * dashboard.test.ts) shows the whole who-sees-whom matrix alive; clicking
 * "kill" on node 2 kills that daemon's process, and the matrix turns column 2
 * to alerting for every other node, with the action and the alerts in the feed.
 * Requests that do not come from the page (another origin, not JSON, another
 * host name) are refused. The page must run without script errors or CSP
 * violations.
 *
 * Without /usr/bin/chromium (or PEERMON_CHROMIUM) the test fails when CI is
 * set (.ci/run installs it) and skips otherwise.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import { waitFor } from '../helpers/wait.js'
import { alive } from '../helpers/process.js'
import { openPage } from '../helpers/chromium.js'
import { chromiumSkip } from '../helpers/ci.js'

const skip = chromiumSkip()

const NODES = 4

/** The little of a browser canvas the test reads (this project has no DOM types). */
interface Canvas {
  width: number
  getContext: (kind: '2d') => { getImageData: (x: number, y: number, w: number, h: number) => { data: ArrayLike<number> } }
  getBoundingClientRect: () => { width: number }
}

interface NodeJson { node: number, pid: number | null, state: string }

/** A raw HTTP request (Host and Origin as given), resolving with the status. */
async function request (url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end(body)
  })
}

describe('peermon swarm --view in headless Chromium', { skip }, () => {
  let cli: ChildProcess | undefined
  let exited: Promise<unknown> = Promise.resolve()
  let stdout = ''
  let stderr = ''
  let browser: Browser | undefined
  let page: Page
  let url = ''
  const problems: string[] = []

  /** The latest --json snapshot's nodes. */
  const nodes = (): NodeJson[] => {
    const lines = stdout.trim().split('\n').filter((line) => line.startsWith('{'))
    return lines.length === 0 ? [] : (JSON.parse(lines[lines.length - 1]) as { nodes: NodeJson[] }).nodes
  }

  before(async () => {
    cli = spawn(process.execPath, [PEERMON_BIN, 'swarm', '--nodes', String(NODES), '--interval', '500ms', '--ttl', '1500ms',
      '--per-process', '1', '--seed', '5', '--json', '--view'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const child = cli
    exited = new Promise((resolve) => { child.once('exit', resolve) })
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    await waitFor('the view URL on stderr', () => /view http:\/\/127\.0\.0\.1:\d+\//.test(stderr), 30_000)
    url = (/view (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr) as RegExpExecArray)[1]
    ;({ browser, page } = await openPage(problems))
  })

  after(async () => {
    try {
      await browser?.close()
    } finally {
      if (cli !== undefined && cli.exitCode === null && cli.signalCode === null) {
        cli.kill('SIGTERM')
        const timer = setTimeout(() => { cli?.kill('SIGKILL') }, 15_000)
        await exited
        clearTimeout(timer)
      }
    }
  })

  it('shows the whole matrix alive, and a kill from the page reaches the daemon and turns its column to alerting', async () => {
    await page.goto(`${url}/`)
    // The canvas says what it drew (MatrixCell characters, row by row).
    const matrix = async (): Promise<string> => await page.locator('#matrix').getAttribute('data-matrix') ?? ''
    const count = (text: string, cell: string): number => text.split(cell).length - 1
    await waitFor('the matrix to fill', async () => count(await matrix(), 'a') === NODES * (NODES - 1), 30_000, 200)
    assert.equal((await matrix()).length, NODES * NODES, 'one cell per observer and peer')
    assert.equal(count(await matrix(), 's'), NODES, 'self on the diagonal')
    assert.equal(await page.locator('#live.on').count(), 1)

    // Without --netns, partitions are impossible and the button says why.
    const partition = page.locator('#nodes tr[data-node="1"] button[data-action="partition"]')
    assert.equal(await partition.isDisabled(), true)
    assert.match(await partition.getAttribute('title') ?? '', /--netns/)

    await waitFor('pids in the --json snapshots', () => nodes().length === NODES && nodes().every((n) => n.pid !== null), 10_000)
    const victim = nodes()[2].pid as number
    assert.ok(alive(victim))
    await page.locator('#nodes tr[data-node="2"] button[data-action="kill"]').click()
    await waitFor('node 2\'s process to exit', () => !alive(victim), 10_000)

    const rows = async (): Promise<string[]> => (await matrix()).match(new RegExp(`.{${NODES}}`, 'g')) ?? []
    await waitFor('column 2 alerting for every other node', async () => (await rows()).join() === ['saxa', 'asxa', '--s-', 'aaxs'].join(), 15_000, 200)
    // And on screen: the cell of node 0 seeing node 2 is red, not the green of node 0 seeing node 1.
    const [red, green] = await page.locator('#matrix').evaluate((canvas: Canvas) => {
      const ctx = canvas.getContext('2d')
      const box = canvas.getBoundingClientRect()
      const ratio = canvas.width / box.width
      const pixel = (row: number, col: number): number[] => {
        const cell = (canvas.width / ratio - 26) / 4
        return Array.from(ctx.getImageData(Math.round((26 + (col + 0.5) * cell) * ratio), Math.round((26 + (row + 0.5) * cell) * ratio), 1, 1).data)
      }
      return [pixel(0, 2), pixel(0, 1)]
    })
    assert.ok(red[0] > 150 && red[1] < 100, `an alerting cell is red, got rgba ${red.join()}`)
    assert.ok(green[1] > 120 && green[0] < 100, `an alive cell is green, got rgba ${green.join()}`)
    await page.locator('#feed li[data-event="action"]').first().waitFor({ timeout: 5_000 })
    await page.locator('#feed li[data-event="alert"][data-peer="2"]').first().waitFor({ timeout: 5_000 })
    await page.locator('#feed li[data-event="exited"][data-node="2"]').first().waitFor({ timeout: 5_000 })
    assert.equal(await page.locator('#nodes tr[data-node="2"]').getAttribute('data-state'), 'exited')
    assert.equal(await page.locator('#nodes tr[data-node="2"] button[data-action="kill"]').isDisabled(), true)
    assert.match(stderr, /view: kill node 2, asked from 127\.0\.0\.1/, 'the action is logged on stderr')
    assert.deepEqual(problems, [], 'no script errors or CSP violations')
  })

  it('refuses actions that do not come from the page', async () => {
    const hang = `${url}/api/nodes/1/hang`
    const json = { 'content-type': 'application/json' }
    assert.equal(await request(hang, 'POST', {}, ''), 415, 'no body: a no-cors fetch or a form')
    assert.equal(await request(hang, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'), 415)
    assert.equal(await request(hang, 'POST', { ...json, origin: 'http://evil.example' }, '{}'), 403)
    assert.equal(await request(hang, 'POST', { ...json, host: `evil.example:${new URL(url).port}` }, '{}'), 403, 'DNS rebinding')
    assert.equal(await request(`${url}/`, 'GET', { host: 'evil.example' }), 403)
    assert.equal(await request(`${url}/api/nodes/9/kill`, 'POST', json, '{}'), 404)
    assert.equal(await request(`${url}/api/nodes/2/kill`, 'POST', json, '{}'), 409, 'node 2 is gone')
    assert.equal(nodes()[1].state, 'running', 'node 1 was never hung')
  })
})
