/**
 * How the suite behaves under CI (.ci/run sets CI=true): a missing tool fails
 * the test that needs it instead of skipping it, and the slowest tests of
 * kernel plumbing (network-namespace scenario files, the swarm view on
 * namespaces) run in the first pass only; the passes that repeat the suite on
 * another Node line set PEERMON_CI_REPEAT=1.
 */
import { existsSync } from 'node:fs'
import { CHROMIUM } from './chromium.js'
import { netnsUnavailableReason } from '../../src/swarm/netns-tools.js'

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

/**
 * Skip reason for a slow test whose subject does not depend on the Node line
 * (the kernel's namespaces and firewall, a browser): it runs in CI's first pass
 * and is skipped, saying so, in the passes that repeat the suite on another Node.
 */
export function firstCiPassOnly (): string | false {
  return process.env.PEERMON_CI_REPEAT === '1' ? 'slow kernel plumbing: run in CI\'s first pass (PEERMON_CI_REPEAT=1 here)' : false
}
