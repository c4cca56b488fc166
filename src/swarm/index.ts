/**
 * `peermon swarm`: start a local swarm of daemons and watch it live, or run a
 * chaos scenario against it. Tests and benchmarks use the launcher
 * (launch/launcher.ts: `new Swarm({ nodes: 5, ... })`) and `runScenario` (scenario/builtin.ts)
 * directly.
 */
import { ConfigError } from '../config-error.js'
import { Swarm } from './launch/launcher.js'
import { netnsUnavailableReason } from './netns/tools.js'
import { parseSwarmFlags, SWARM_HELP, type SwarmConfig } from './flags.js'
import { runLive } from './terminal-view/live.js'
import { renderScenarioResult } from './scenario/result-table.js'
import { runScenario } from './scenario/builtin.js'
import { runTimelineCommand } from './scenario-command.js'
import { startSwarmView, type ViewServer } from './browser-view/server.js'
import { interruptOnSignals, printFailedNodes, stopSwarm, verboseStderr } from './command-run.js'

/** Where runSwarm writes; the process's own streams by default. */
export interface SwarmIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
}

/**
 * Runs `peermon swarm` with `argv` (after `swarm`); resolves with the exit
 * code. Throws ConfigError on bad flags. Every child is stopped before it
 * resolves or rejects, and the signal handlers it installs are removed.
 */
export async function runSwarm (argv: string[], io: SwarmIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const config = parseSwarmFlags(argv)
  if (config.help) {
    io.stdout.write(SWARM_HELP)
    return 0
  }
  if (config.timeline !== undefined) return await runTimelineCommand(config, io)
  const netnsProblem = config.netns ? netnsUnavailableReason() : undefined
  if (netnsProblem !== undefined) throw new ConfigError(`--netns: ${netnsProblem}`)

  const interrupt = interruptOnSignals(io.stderr)

  const log = (line: string): void => { io.stderr.write(`peermon swarm: ${line}\n`) }
  const swarm = new Swarm({
    nodes: config.nodes,
    intervalMs: config.intervalMs,
    ttlMs: config.ttlMs,
    degree: config.degree,
    seed: config.seed,
    netns: config.netns,
    perProcess: config.perProcess,
    onStderr: config.verbose ? verboseStderr(io.stderr) : undefined
  })

  let view: ViewServer | undefined
  try {
    if (config.view !== undefined) view = await startSwarmView(swarm, config.view, config.viewToken, log)
    if (config.scenario === undefined) {
      await runLive(swarm, { json: config.json, out: io.stdout, log, signal: interrupt.signal })
      return 0
    }
    return await scenarioMode(swarm, config, io, log, interrupt.signal)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if (interrupt.signal.aborted) return config.scenario === undefined ? 0 : 1
    io.stderr.write(`peermon swarm: ${err instanceof Error ? err.message : String(err)}\n`)
    if (!config.verbose) printFailedNodes(swarm, io.stderr)
    return 1
  } finally {
    await stopSwarm(swarm, view, log, interrupt.release)
  }
}

async function scenarioMode (swarm: Swarm, config: SwarmConfig, io: SwarmIO, log: (line: string) => void, signal: AbortSignal): Promise<number> {
  const report = await runScenario(swarm, {
    scenario: config.scenario as NonNullable<SwarmConfig['scenario']>,
    timeoutMs: config.timeoutMs,
    hangForMs: config.hangForMs,
    signal,
    log
  })
  if (config.json) {
    io.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    io.stdout.write(`${renderScenarioResult(report).join('\n')}\n`)
    if (report.victimExit !== undefined) io.stdout.write(`victim: ${report.victimExit}; seed ${report.seed}\n`)
  }
  return report.pass ? 0 : 1
}
