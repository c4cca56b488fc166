/**
 * `peermon swarm` end to end: the real CLI starting real daemons. Each test
 * runs the command as a child process and kills it (and so its daemons) in
 * `after` if it is still running.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { PEERMON_BIN } from '../../src/swarm/nodes/daemon-child.js'
import type { ScenarioReport } from '../../src/swarm/scenario/builtin.js'
import { alive } from '../helpers/process.js'

const FAST = ['--nodes', '4', '--interval', '500ms', '--ttl', '1500ms', '--json']

interface Run {
  process: ChildProcess
  stdout: string
  stderr: string
  exited: Promise<number | null>
}

const runs: Run[] = []

function startCli (args: string[]): Run {
  const child = spawn(process.execPath, [PEERMON_BIN, 'swarm', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const run: Run = {
    process: child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => { child.once('exit', (code) => { resolve(code) }) })
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { run.stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { run.stderr += chunk })
  runs.push(run)
  return run
}

async function finish (run: Run, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`peermon swarm still running after ${timeoutMs} ms\n${run.stderr}`)) }, timeoutMs)
  })
  try {
    return await Promise.race([run.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function scenario (name: string, timeoutMs = 120_000): Promise<{ code: number | null, report: ScenarioReport, run: Run }> {
  const run = startCli([...FAST, '--scenario', name, '--seed', '7'])
  const code = await finish(run, timeoutMs)
  const lines = run.stdout.trim().split('\n')
  assert.equal(lines.length, 1, `one JSON object on stdout, got:\n${run.stdout}\n${run.stderr}`)
  return { code, report: JSON.parse(lines[0]) as ScenarioReport, run }
}

after(async () => {
  for (const run of runs) {
    if (run.process.exitCode === null && run.process.signalCode === null) run.process.kill('SIGTERM')
  }
  await Promise.all(runs.map(async (run) => await finish(run, 15_000).catch(() => { run.process.kill('SIGKILL') })))
})

describe('peermon swarm (real daemons)', { timeout: 600_000 }, () => {
  it('crash: every survivor alerts on the killed node', async () => {
    const { code, report, run } = await scenario('crash')
    assert.equal(code, 0, run.stderr)
    assert.equal(report.pass, true)
    assert.equal(report.survivors.length, 3)
    for (const s of report.survivors) {
      assert.equal(s.detected, 'alert')
      assert.ok(s.lagMs !== null && s.lagMs >= 0 && s.lagMs < 5_000, `lag ${String(s.lagMs)}`)
      assert.ok(s.detectMs !== null && s.detectMs > 0 && s.detectMs < 1500 + 8_000, `detection ${String(s.detectMs)}`)
    }
    assert.equal(report.falseAlerts, 0)
    assert.equal(report.victimExit, 'signal SIGKILL')
  })

  it('leave: every survivor reports left and nobody alerts', async () => {
    const { code, report, run } = await scenario('leave')
    assert.equal(code, 0, run.stderr)
    assert.ok(report.survivors.every((s) => s.detected === 'left'))
    assert.equal(report.falseAlerts, 0)
    assert.equal(report.victimExit, 'exit code 0')
  })

  it('hang: every survivor alerts on the stopped node and sees it recover', async () => {
    const { code, report, run } = await scenario('hang')
    assert.equal(code, 0, run.stderr)
    assert.ok(report.survivors.every((s) => s.detected === 'alert' && s.recovered === true))
    assert.equal(report.falseAlerts, 0)
  })

  it('live mode: SIGTERM stops the swarm, exits 0 and leaves no daemon behind', async () => {
    const run = startCli(['--nodes', '3', '--interval', '500ms', '--ttl', '1500ms', '--json'])
    let pids: number[] = []
    const deadline = Date.now() + 90_000
    while (Date.now() < deadline) {
      const views = run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { nodes: Array<{ pid: number | null, state: string, seen: number }> })
      const last = views[views.length - 1]
      if (last !== undefined && last.nodes.every((n) => n.state === 'running' && n.pid !== null && n.seen === 2)) {
        pids = last.nodes.map((n) => n.pid as number)
        break
      }
      if (run.process.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    assert.equal(pids.length, 3, `all three nodes ran and saw each other:\n${run.stdout.slice(-2000)}\n${run.stderr}`)
    assert.ok(pids.every(alive))
    run.process.kill('SIGTERM')
    assert.equal(await finish(run, 20_000), 0, run.stderr)
    assert.deepEqual(pids.filter(alive), [], 'no daemon left running')
  })
})
