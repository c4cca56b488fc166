/**
 * Headless Chromium for the page tests (the dashboard, the swarm view):
 * Debian's package, or PEERMON_CHROMIUM (another distribution's path).
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.PEERMON_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Launches Chromium and opens a page whose console errors and uncaught errors are pushed to `problems`. */
export async function openPage (problems: string[]): Promise<{ browser: Browser, page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does this)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 })
  const page = await browser.newPage()
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  return { browser, page }
}
