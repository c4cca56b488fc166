/**
 * `peermon swarm --scenario <file>`: the command around the timeline engine
 * (scenario/timeline.ts): check the file, start its swarm (and the browser
 * view if asked), run it, print the verdicts or the JSON result, and write
 * the JUnit report.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError, quote } from '../config-error.js'
import { formatDuration } from '../duration.js'
import { netnsUnavailableReason } from './netns/tools.js'
import { junitXml } from './scenario/junit.js'
import { loadTimeline, renderTimelineReport, runTimeline, timelineSwarm, type TimelineReport } from './scenario/timeline.js'
import { defaultTimeoutMs, type SwarmConfig } from './flags.js'
import { startSwarmView, type ViewServer } from './browser-view/server.js'
import { interruptOnSignals, printFailedNodes, stopSwarm, verboseStderr } from './command-run.js'

/** The IO runTimelineCommand writes to (runSwarm's). */
export interface TimelineIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/**
 * `peermon swarm --scenario <file>`: loads and checks the file (ConfigError
 * before anything starts), runs it, prints the verdicts (or the JSON result),
 * writes the JUnit report if asked; resolves with 0 (every expectation held)
 * or 1. Every node is stopped before it resolves.
 */
export async function runTimelineCommand (config: SwarmConfig, io: TimelineIO): Promise<number> {
  const options = config.timeline
  if (options === undefined) throw new Error('runTimelineCommand: no scenario file')
  const timeline = await loadTimeline(options.file)
  if (timeline.slowed.length > 0 && config.perProcess !== undefined && config.perProcess > 1) {
    throw new ConfigError(`--per-process: ${options.file} has a latency step, whose relay needs a process (and namespace) per node; drop --per-process`)
  }
  if (timeline.swarm.netns) {
    const problem = netnsUnavailableReason()
    if (problem !== undefined) throw new ConfigError(`${options.file}: swarm: netns: ${problem}`)
  }
  if (options.junit !== undefined) {
    const dir = dirname(options.junit)
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false)
    if (!isDir) throw new ConfigError(`--junit: no directory ${quote(dir)} to write ${quote(options.junit)} in`)
  }

  const interrupt = interruptOnSignals(io.stderr)
  const log = (line: string): void => { io.stderr.write(`peermon swarm: ${line}\n`) }
  const swarm = timelineSwarm(timeline, {
    ...(config.seed === undefined ? {} : { seed: config.seed }),
    ...(config.perProcess === undefined ? {} : { perProcess: config.perProcess }),
    ...(config.verbose ? { onStderr: verboseStderr(io.stderr) } : {})
  })
  const started = new Date()
  const logLines: string[] = []
  let view: ViewServer | undefined
  const logBoth = (line: string): void => { logLines.push(line); log(line); view?.note(line) }
  let report: TimelineReport | undefined
  let failure: string | undefined
  try {
    if (config.view !== undefined) view = await startSwarmView(swarm, config.view, config.viewToken, log, 'the scenario file drives this swarm')
    report = await runTimeline(swarm, timeline, {
      timeoutMs: options.timeoutMs ?? defaultTimeoutMs(timeline.swarm.nodes, timeline.swarm.ttlMs),
      signal: interrupt.signal,
      log: logBoth
    })
  } catch (err) {
    failure = interrupt.signal.aborted ? (interrupt.signal.reason as Error).message : err instanceof Error ? err.message : String(err)
    io.stderr.write(`peermon swarm: ${failure}\n`)
    if (!config.verbose && !interrupt.signal.aborted) printFailedNodes(swarm, io.stderr)
  } finally {
    await stopSwarm(swarm, view, log, interrupt.release)
  }

  if (report !== undefined) {
    io.stdout.write(config.json ? `${JSON.stringify(report)}\n` : `${renderTimelineReport(report).join('\n')}\n`)
  }
  if (options.junit !== undefined) {
    const xml = junitXml({
      name: timeline.name,
      timeMs: Date.now() - started.getTime(),
      timestamp: started,
      properties: { file: timeline.file, seed: swarm.seed, nodes: timeline.swarm.nodes, interval: formatDuration(timeline.swarm.intervalMs), ttl: formatDuration(timeline.swarm.ttlMs), netns: timeline.swarm.netns },
      verdicts: report?.verdicts ?? [],
      ...(failure === undefined ? {} : { error: failure }),
      log: logLines.join('\n')
    })
    await mkdir(dirname(options.junit), { recursive: true })
    await writeFile(options.junit, xml)
  }
  return report?.pass === true ? 0 : 1
}
