/**
 * How the suite behaves under CI (.ci/run sets CI=true): a missing tool fails
 * the test that needs it instead of skipping it, and each slow test of kernel
 * plumbing on network namespaces runs in one of CI's passes (one per Node
 * line), not in all of them.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { CHROMIUM } from './chromium.js'
import { netnsUnavailableReason } from '../../src/swarm/netns/tools.js'

export const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'

/** Skip reason for a test that needs network namespaces: never under CI, where it fails instead. */
export function netnsSkip (): string | false {
  const reason = netnsUnavailableReason()
  return reason !== undefined && !inCi ? `needs network namespaces: ${reason}` : false
}

/** Skip reason for a browser test: never under CI, where it fails instead. */
export function chromiumSkip (): string | false {
  return !existsSync(CHROMIUM) && !inCi ? `${CHROMIUM} is missing (apt-get install chromium); CI fails here instead of skipping` : false
}

/** Skip reason for a test that runs promtool (Debian's `prometheus` package): never under CI, where it fails instead. */
export function promtoolSkip (): string | false {
  const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error === undefined
  return !found && !inCi ? 'promtool is not on PATH (apt-get install prometheus); CI fails here instead of skipping' : false
}

/**
 * Skip reason for a slow test whose subject does not depend on the Node line
 * (the kernel's namespaces and firewall, the launcher): CI runs the suite once
 * per Node line (.ci/run sets PEERMON_CI_PASS to 1, 2, 3) and runs each such
 * test in one of those passes only, `pass`, so no pass carries them all; run
 * by hand (no PEERMON_CI_PASS), it always runs.
 */
export function inCiPass (pass: number): string | false {
  const current = process.env.PEERMON_CI_PASS
  return current === undefined || current === '' || current === String(pass)
    ? false
    : `slow kernel plumbing, run in CI's pass ${pass} only (this is pass ${current})`
}
