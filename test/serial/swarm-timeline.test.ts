/**
 * `peermon swarm --scenario <file>` end to end on 127.0.0.1: the example
 * scenarios/crash-hang-resume.json (12 daemons at 1 s, seven steps: a kill,
 * two hangs resumed, a leave) passes on this machine, its verdicts are printed,
 * and its JUnit report is well-formed with one passing testcase per
 * expectation. A bad scenario file is refused in one line with exit code 2.
 * Serial: a swarm of 12 daemons wants the machine to itself.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import { parseXml } from '../helpers/xml-check.js'
import { tempDir } from '../helpers/tmp.js'

const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url))
const tmp = tempDir('peermon-timeline-')

/** Runs `peermon swarm ...args`; SIGKILLs it (its daemons die with their stdin/pipes) if it outlives `timeoutMs`. */
async function cli (args: string[], timeoutMs: number): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [PEERMON_BIN, 'swarm', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => { child.kill('SIGTERM') }, timeoutMs)
  try {
    const code = await new Promise<number | null>((resolve) => { child.once('exit', (c) => { resolve(c) }) })
    return { code, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

describe('peermon swarm --scenario <file>', { timeout: 300_000 }, () => {
  it('runs scenarios/crash-hang-resume.json: every expectation holds, exit 0, a well-formed JUnit report', async () => {
    const junit = tmp('report.xml')
    const run = await cli(['--scenario', `${SCENARIOS}crash-hang-resume.json`, '--junit', junit], 240_000)
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
    const verdicts = run.stdout.split('\n').filter((l) => /^(PASS|FAIL) {2}\d+\./.test(l))
    assert.equal(verdicts.length, 8, run.stdout)
    assert.ok(verdicts.every((l) => l.startsWith('PASS')), run.stdout)
    assert.match(run.stdout, /^8\/8 expectations held: PASS$/m)
    assert.match(run.stdout, /step 6 {2}\+\d+\.\d+s {2}leave 11/)

    const suite = parseXml(await readFile(junit, 'utf8'))
    assert.equal(suite.name, 'testsuite')
    assert.equal(suite.attributes.name, 'crash, hang and resume')
    assert.deepEqual([suite.attributes.tests, suite.attributes.failures, suite.attributes.errors], ['8', '0', '0'])
    const cases = suite.children.filter((c) => c.name === 'testcase')
    assert.equal(cases.length, 8)
    assert.ok(cases.every((c) => !c.children.some((x) => x.name === 'failure' || x.name === 'error')))
    assert.match(cases[0].attributes.name, /^1\. alerted on 9 by others within ttl\+2s/)
  })

  it('refuses a bad scenario file in one line naming the file, the step and the field, exit 2, before starting anything', async () => {
    const file = tmp('bad.json')
    await writeFile(file, JSON.stringify({ swarm: { nodes: 4 }, steps: [{ at: '1s', hang: 1 }, { after: '2s', resume: '1-2' }] }))
    const run = await cli(['--scenario', file], 30_000)
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.equal(run.stderr, `peermon: ${file}: step 2 (resume): resume: node 2 is not hung, nothing to resume\n`)
  })
})
