/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`
 * package, driven by playwright-core) against a 3-daemon swarm. The page shows
 * both other peers alive, with metrics and sparklines; after a SIGKILL the
 * killed peer turns to alerting and its alert appears in the feed; a peer
 * stopped and resumed again and again gets a flapping badge until it is
 * stable, both in the feed. The page must run without script errors or CSP
 * violations.
 *
 * Without /usr/bin/chromium (or PEERMON_CHROMIUM) the test fails when CI is
 * set (.ci/run installs it) and skips otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { countEvents, listeningApi, startDaemon, type Recorded } from '../helpers/daemons.js'
import { sleep, waitFor } from '../helpers/wait.js'
import { openPage } from '../helpers/chromium.js'
import { chromiumSkip } from '../helpers/ci.js'

const TOKEN = 'e2e-dashboard-token'

const skip = chromiumSkip()

describe('dashboard in headless Chromium', { skip }, () => {
  const daemons: Recorded[] = []
  let browser: Browser | undefined
  let page: Page
  let api = ''
  let ids: string[] = []
  const problems: string[] = []

  before(async () => {
    const first = startDaemon(0, ['--api', '127.0.0.1:0', '--api-token', TOKEN])
    daemons.push(first)
    await first.child.whenListening(20_000)
    api = listeningApi(first) ?? ''
    assert.match(api, /^http:\/\/127\.0\.0\.1:\d+$/)
    for (const i of [1, 2]) daemons.push(startDaemon(i, ['--api', 'off', '--bootstrap', first.child.dialAddr ?? '', '--tag', `zone=z${i}`]))
    ids = [first.child.peer ?? '']
    for (const d of daemons.slice(1)) ids.push((await d.child.whenListening(20_000)).peer)

    ;({ browser, page } = await openPage(problems))
  })

  after(async () => {
    try {
      await browser?.close()
    } finally {
      await Promise.all(daemons.map(async d => await d.child.stop()))
    }
  })

  it('shows every peer alive, then a SIGKILLed peer turning to alerting with its alert in the feed', async () => {
    // The token comes in the URL once; the page keeps it and takes it out of the address bar.
    await page.goto(`${api}/?token=${TOKEN}`)
    assert.equal(new URL(page.url()).search, '', 'the token is removed from the address bar')
    await page.locator('#peers tr[data-state="alive"]').nth(1).waitFor({ timeout: 30_000 })
    assert.equal(await page.locator('#peers tr').count(), 2, 'one row per other peer')
    for (const id of ids.slice(1)) {
      const row = page.locator(`#peers tr[data-peer="${id}"]`)
      assert.equal(await row.getAttribute('data-state'), 'alive')
      const text = await row.innerText()
      assert.match(text, /…\S{8}/)
      assert.match(text, /GiB|MiB/, 'free memory shown')
      assert.match(text, /zone=z[12]/, 'tags shown')
    }
    assert.equal(await page.locator('#self').innerText(), ids[0])
    assert.equal(await page.locator('#count-alive').innerText(), '2')
    await page.locator('#peers svg.spark polyline').nth(1).waitFor({ timeout: 15_000 })
    await page.locator('#live.on').waitFor({ timeout: 15_000 })

    // Last-seen ages tick in the page and stay fresh for live peers.
    const age = await page.locator(`#peers tr[data-peer="${ids[1]}"] td.num`).first().innerText()
    assert.match(age, /^\d+(\.\d)?m?s$/)

    const victim = ids[2]
    daemons[2].child.signal('SIGKILL')
    await page.waitForSelector(`#peers tr[data-peer="${victim}"][data-state="alerting"]`, { timeout: 15_000 })
    await page.waitForSelector(`#feed li[data-event="alert"][data-peer="${victim}"]`, { timeout: 5_000 })
    const alertText = await page.locator(`#feed li[data-event="alert"][data-peer="${victim}"]`).first().innerText()
    assert.match(alertText, /ping expired, silent/)
    assert.equal(await page.locator(`#peers tr[data-peer="${ids[1]}"]`).getAttribute('data-state'), 'alive', 'the survivor stays alive')
    assert.equal(await page.locator('#count-alerting').innerText(), '1')
    assert.match(await page.title(), /^\(1 alerting\) peermon$/)
    assert.deepEqual(problems, [], 'no script errors or CSP violations')
  })

  it('shows a peer that keeps stopping and resuming as flapping, then stable, with both in the feed', async () => {
    const [watcher, flapper] = [daemons[0], daemons[1]]
    const peer = ids[1]
    const row = `#peers tr[data-peer="${peer}"]`
    // SIGSTOP and SIGCONT three times: 6 changes within the daemons' flap window (10 × their 1 s TTL).
    for (let i = 0; i < 3; i++) {
      const alerts = countEvents(watcher, 'alert', peer)
      flapper.child.signal('SIGSTOP')
      try {
        await waitFor(`alert ${i + 1}`, () => countEvents(watcher, 'alert', peer) > alerts, 10_000)
        await sleep(800)
      } finally {
        flapper.child.signal('SIGCONT')
      }
      await waitFor(`recovery ${i + 1}`, () => countEvents(watcher, 'recovered', peer) > i, 10_000)
      await sleep(1_500)
    }
    assert.equal(countEvents(watcher, 'flapping', peer), 1, 'one flapping event in the daemon\'s --json output')
    await page.waitForSelector(`${row}[data-flapping="true"] .state.flapping`, { timeout: 10_000 })
    await page.waitForSelector(`#feed li[data-event="flapping"][data-peer="${peer}"]`, { timeout: 5_000 })
    assert.match(await page.locator(`#feed li[data-event="flapping"][data-peer="${peer}"]`).innerText(), /changes in .* \(window 10s\)/)
    // Left alone, it settles: the badge goes, `stable` comes.
    await page.waitForSelector(`#feed li[data-event="stable"][data-peer="${peer}"]`, { timeout: 30_000 })
    await page.waitForSelector(`${row}[data-state="alive"]:not([data-flapping])`, { timeout: 5_000 })
    assert.match(await page.locator(`#feed li[data-event="stable"][data-peer="${peer}"]`).innerText(), /alive after flapping/)
    assert.deepEqual(problems, [], 'no script errors or CSP violations')
  })

  it('without the token the page is refused; with it, a self-contained page under a strict CSP', async () => {
    const response = await fetch(`${api}/`)
    assert.equal(response.status, 401)
    const ok = await fetch(`${api}/?token=${TOKEN}`)
    assert.equal(ok.status, 200)
    assert.match(ok.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(ok.headers.get('content-security-policy') ?? '', /script-src 'sha256-/)
    const html = await ok.text()
    const urls = (html.match(/https?:\/\/[^\s'"<>)]+/g) ?? []).filter(url => url !== 'http://www.w3.org/2000/svg')
    assert.deepEqual(urls, [], 'no assets from the internet')
  })
})
