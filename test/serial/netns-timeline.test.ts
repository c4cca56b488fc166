/**
 * The network-namespace example scenarios through `peermon swarm --scenario
 * <file> --json` (needs root, `ip`, `tc` and `nft`; skipped with the reason
 * otherwise, never under CI=true): one of 10 nodes partitioned and healed,
 * and a 5 | 5 split healed. Every expectation of each file holds, and nothing
 * of the LAN is left behind.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import { listLanNames } from '../../src/swarm/netns/cleanup.js'
import { ownerOf } from '../../src/swarm/netns/names.js'
import { inCiPass, netnsSkip } from '../helpers/ci.js'
import type { TimelineReport } from '../../src/swarm/scenario/timeline.js'

const skip = netnsSkip() || inCiPass(1)
const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url))

async function runScenarioFile (name: string): Promise<{ code: number | null, report: TimelineReport, stderr: string, leftovers: string[] }> {
  const child = spawn(process.execPath, [PEERMON_BIN, 'swarm', '--scenario', `${SCENARIOS}${name}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => { child.kill('SIGTERM') }, 180_000)
  try {
    const code = await new Promise<number | null>((resolve) => { child.once('exit', (c) => { resolve(c) }) })
    const lines = stdout.trim().split('\n')
    assert.equal(lines.length, 1, `one JSON object on stdout, got:\n${stdout}\n${stderr}`)
    const leftovers = listLanNames().filter((n) => ownerOf(n) === child.pid)
    return { code, report: JSON.parse(lines[0]) as TimelineReport, stderr, leftovers }
  } finally {
    clearTimeout(timer)
  }
}

function failed (report: TimelineReport): string {
  return report.verdicts.filter((v) => !v.pass).map((v) => `${v.description}: ${v.figure}; ${v.failures.slice(0, 5).join('; ')}`).join('\n')
}

describe('scenario files on network namespaces', { skip, timeout: 400_000 }, () => {
  it('partition-one-of-10.json: the others alert on node 3 within ttl + 1s, it reports itself isolated, all recover within 10 s of the heal, no false alert', async () => {
    const { code, report, stderr, leftovers } = await runScenarioFile('partition-one-of-10.json')
    assert.equal(code, 0, `${failed(report)}\n${stderr}`)
    assert.deepEqual(report.verdicts.map((v) => v.kind), ['alerted', 'isolated', 'noAlerts', 'recovered', 'noFalseAlerts', 'running'])
    assert.ok(report.verdicts.every((v) => v.pass))
    assert.equal(report.verdicts[0].figure.split(',')[0], '9/9 alerted')
    assert.deepEqual(leftovers, [])
  })

  it('split-5-5.json: each side alerts on every node of the other and on none of its own, all recover within 10 s of the heal', async () => {
    const { code, report, stderr, leftovers } = await runScenarioFile('split-5-5.json')
    assert.equal(code, 0, `${failed(report)}\n${stderr}`)
    assert.deepEqual(report.verdicts.map((v) => [v.kind, v.pass]), [['alerted', true], ['alerted', true], ['noAlerts', true], ['noAlerts', true], ['recovered', true], ['noFalseAlerts', true], ['running', true]])
    assert.equal(report.verdicts[0].figure.split(',')[0], '25/25 alerted')
    assert.deepEqual(leftovers, [])
  })
})
