/**
 * `peermon swarm` flags: parsing and validation into a SwarmConfig. Bad input
 * throws the CLI's ConfigError (one line naming the flag; exit code 2).
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import { ConfigError, quote } from '../config-error.js'
import { DEFAULT_INTERVAL_MS, DEFAULT_TTL_INTERVALS, defaultTtlMs } from '../constants.js'
import { apiOf, isLoopback } from '../daemon/config-values.js'
import { DAEMON_LIMITS } from '../daemon/options.js'
import { formatDuration } from '../duration.js'
import { choiceValue, durationValue, parseFlags, wantsHelp, wholeNumberValue, type FlagSpecs } from '../flags.js'
import { SCENARIOS, type ScenarioName } from './scenario/assessment.js'
import { DEFAULT_DEGREE } from './launch/swarm-options.js'
import { PROCESSES_PER_CORE, defaultPerProcess } from './packed/grouping.js'

export interface SwarmConfig {
  nodes: number
  scenario?: ScenarioName
  intervalMs: number
  ttlMs: number
  degree: number
  json: boolean
  verbose: boolean
  /** Each process in a network namespace of its own (needs root). */
  netns: boolean
  /** Nodes per process; undefined: the launcher's default packing. */
  perProcess?: number
  /** hang: how long the victim stays stopped. */
  hangForMs: number
  /** Start + formation must finish within this. */
  timeoutMs: number
  seed?: number
  /** `--scenario <file>`: a timeline (scenario/timeline.ts) instead of a built-in scenario. */
  timeline?: { file: string, junit?: string, timeoutMs?: number }
  /** `--view`: where the live page listens (undefined: no page). */
  view?: { host: string, port: number }
  /** The page's bearer token (--view-token or PEERMON_VIEW_TOKEN); required off loopback. */
  viewToken?: string
  help: boolean
}

export const SWARM_LIMITS = Object.freeze({ maxNodes: 200 })

export const SWARM_HELP: string = `Usage: peermon swarm --nodes N [options]
       peermon swarm --scenario <file> [--junit <file>] [--json] [--seed <n>]

Start N local daemons on 127.0.0.1 (fresh identities, kept for a restart; packed several to a
process in large swarms, see --per-process), each bootstrapping to up to --degree earlier ones, and show their view of the swarm
(live mode), or run a chaos scenario and check every survivor detects it.

Options:
  --nodes <n>             number of daemons (1..${SWARM_LIMITS.maxNodes}; 2 or more for a scenario)
  --scenario <name|file>  crash (SIGKILL a node), hang (SIGSTOP, later SIGCONT) or
                          leave (SIGTERM); any other value is a scenario file (JSON:
                          the swarm, timed steps or a seeded churn, expectations; see
                          scenarios/); the file sets nodes, interval, ttl, degree,
                          topology (star: all bootstrap to node 0), perProcess and
                          netns; its restart step brings a node back on the same
                          identity and port. Its latency
                          step delays what a node sends over TCP (delay ± jitter, no
                          reordering) through a relay in this process: TCP itself
                          still sees short round trips (README: --netns)
                          Without it: live view until Ctrl-C
  --junit <file>          scenario file: also write a JUnit XML report there
  --interval <duration>   daemons' publish interval, ${formatDuration(DAEMON_LIMITS.minIntervalMs)}..${formatDuration(DAEMON_LIMITS.maxIntervalMs)} (default: ${formatDuration(DEFAULT_INTERVAL_MS)})
  --ttl <duration>        daemons' metric TTL, >= ${DAEMON_LIMITS.minTtlIntervals} x interval (default: ${DEFAULT_TTL_INTERVALS} x interval)
  --degree <n>            bootstrap peers per node, at most (default: ${DEFAULT_DEGREE})
  --per-process <n>       nodes per process: 1 gives each daemon a process of its own;
                          more packs that many real libp2p nodes (own identity, port,
                          connections) into one process. Default: 1 up to
                          ${PROCESSES_PER_CORE} processes per core, packed beyond (100 nodes on this
                          machine: ${defaultPerProcess(100, os.availableParallelism())} per process). A packed node is
                          crashed alone (connections reset, no leave notice); a hung
                          one (SIGSTOP) always runs alone, so its signal is real.
  --hang-for <duration>   hang: how long the victim stays stopped, > ttl (default: 2 x ttl + 2s)
  --timeout <duration>    scenario: how long the swarm may take to start and form
                          (default: 20s + 2s per node + 2 x ttl)
  --seed <n>              seed of the bootstrap graph and victim choice (default: random, printed)
  --netns                 each process in a network namespace of its own, on a private
                          bridge (10.77.0.0/16) instead of 127.0.0.1; a packed process's
                          nodes share its address (a port each) and its link faults;
                          needs root, ip, tc, nft
  --view [host:port]      serve a live page of the swarm (who sees whom, events, buttons
                          to kill, hang, resume, stop, restart, partition, heal nodes); default
                          127.0.0.1:0, its URL printed on stderr; with a scenario
                          file, the page watches (steps in its feed, no buttons)
  --view-token <token>    bearer token of the page (env PEERMON_VIEW_TOKEN); required
                          for a non-loopback --view; open the page as /?token=<token>
  --json                  JSON lines (live) or one JSON result object (scenario)
  --verbose               forward the daemons' stderr, prefixed with the node index
  -h, --help              show this help

Durations: 250ms, 2s, 1m. Exit codes: 0 scenario passed (or live mode stopped
by Ctrl-C/SIGTERM), 1 scenario failed or runtime error, 2 bad flags.
`

const SWARM_FLAGS = {
  nodes: { value: '<n>' },
  scenario: { value: '<name>' },
  interval: { value: '<duration>' },
  ttl: { value: '<duration>' },
  degree: { value: '<n>' },
  'per-process': { value: '<n>' },
  'hang-for': { value: '<duration>' },
  junit: { value: '<file>' },
  timeout: { value: '<duration>' },
  seed: { value: '<n>' },
  json: {},
  verbose: {},
  netns: {},
  view: { value: '<host:port>' },
  'view-token': { value: '<token>' },
  help: { short: 'h' }
} as const satisfies FlagSpecs

export function parseSwarmFlags (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SwarmConfig {
  if (wantsHelp(argv)) return { ...defaults(1), help: true }
  const { values } = parseFlags(withViewDefault(argv), SWARM_FLAGS, { help: 'peermon swarm --help' })

  if (values.scenario !== undefined && !(SCENARIOS as readonly string[]).includes(values.scenario)) return scenarioFileConfig(values, env)
  if (values.junit !== undefined) throw new ConfigError('--junit: only with --scenario <file>')
  if (values.nodes === undefined) throw new ConfigError('--nodes: required, a whole number of daemons to start, e.g. --nodes 5')
  const nodes = wholeNumberValue('--nodes', values.nodes, 1, SWARM_LIMITS.maxNodes)
  const scenario = values.scenario === undefined ? undefined : choiceValue('--scenario', values.scenario, SCENARIOS)
  if (scenario !== undefined && nodes < 2) throw new ConfigError(`--nodes: a scenario needs at least 2 nodes, got ${nodes}`)

  const intervalMs = duration('--interval', values.interval, { min: DAEMON_LIMITS.minIntervalMs, max: DAEMON_LIMITS.maxIntervalMs }) ?? DEFAULT_INTERVAL_MS
  const ttlMs = duration('--ttl', values.ttl, { min: 1, max: DAEMON_LIMITS.maxTtlMs }) ?? defaultTtlMs(intervalMs)
  if (!(ttlMs >= DAEMON_LIMITS.minTtlIntervals * intervalMs)) throw new ConfigError(`--ttl: must be at least ${DAEMON_LIMITS.minTtlIntervals} times --interval (${formatDuration(intervalMs)}), got ${formatDuration(ttlMs)}`)

  if (values['hang-for'] !== undefined && scenario !== 'hang') throw new ConfigError('--hang-for: only applies to --scenario hang')
  const hangForMs = duration('--hang-for', values['hang-for']) ?? defaultHangForMs(ttlMs)
  if (!(hangForMs > ttlMs)) throw new ConfigError(`--hang-for: must be greater than --ttl (${formatDuration(ttlMs)}) so the hang can be detected, got ${formatDuration(hangForMs)}`)

  const timeoutMs = duration('--timeout', values.timeout, { min: 1 }) ?? defaultTimeoutMs(nodes, ttlMs)

  return {
    nodes,
    scenario,
    intervalMs,
    ttlMs,
    degree: values.degree === undefined ? DEFAULT_DEGREE : wholeNumberValue('--degree', values.degree, 1, 64),
    json: values.json === true,
    verbose: values.verbose === true,
    netns: values.netns === true,
    ...(values['per-process'] === undefined ? {} : { perProcess: wholeNumberValue('--per-process', values['per-process'], 1, SWARM_LIMITS.maxNodes) }),
    hangForMs,
    timeoutMs,
    seed: values.seed === undefined ? undefined : wholeNumberValue('--seed', values.seed, 0, 2 ** 32 - 1),
    ...viewOf(values.view, values['view-token'], env.PEERMON_VIEW_TOKEN),
    help: false
  }
}

/** `--scenario <file>`: the file sets the swarm; the command line the rest. */
function scenarioFileConfig (values: ReturnType<typeof parseFlags<typeof SWARM_FLAGS>>['values'], env: NodeJS.ProcessEnv): SwarmConfig {
  const file = values.scenario as string
  if (!existsSync(file)) throw new ConfigError(`--scenario: expected one of ${SCENARIOS.join(', ')} or a scenario file, got ${quote(file)} (no such file)`)
  for (const flag of ['nodes', 'interval', 'ttl', 'degree', 'netns', 'hang-for'] as const) {
    if (values[flag] !== undefined) throw new ConfigError(`--${flag}: a scenario file sets it (its "swarm" settings); drop --${flag}`)
  }
  if (values.junit === '') throw new ConfigError('--junit: expected a file name')
  const timeoutMs = duration('--timeout', values.timeout, { min: 1 })
  return {
    ...defaults(0),
    json: values.json === true,
    verbose: values.verbose === true,
    ...(values['per-process'] === undefined ? {} : { perProcess: wholeNumberValue('--per-process', values['per-process'], 1, SWARM_LIMITS.maxNodes) }),
    seed: values.seed === undefined ? undefined : wholeNumberValue('--seed', values.seed, 0, 2 ** 32 - 1),
    timeline: { file, ...(values.junit === undefined ? {} : { junit: values.junit }), ...(timeoutMs === undefined ? {} : { timeoutMs }) },
    ...viewOf(values.view, values['view-token'], env.PEERMON_VIEW_TOKEN)
  }
}

/** `--view` takes an optional value: alone (last, or before another flag) it means 127.0.0.1:0. */
function withViewDefault (argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  return argv.map((arg, i) => arg === '--view' && (end < 0 || i < end) && (i + 1 >= argv.length || argv[i + 1].startsWith('-')) ? '--view=127.0.0.1:0' : arg)
}

function viewOf (text: string | undefined, flagToken: string | undefined, envToken: string | undefined): Pick<SwarmConfig, 'view' | 'viewToken'> {
  if (text === undefined) {
    if (flagToken !== undefined) throw new ConfigError('--view-token: only applies with --view')
    return {}
  }
  const view = apiOf({ value: text, source: '--view' })
  if (view == null) throw new ConfigError('--view: expected host:port (e.g. 127.0.0.1:8080, :0 for a free port), got off')
  const token = flagToken ?? envToken
  const viewToken = token === undefined || token === '' ? undefined : token
  if (viewToken === undefined && !isLoopback(view.host)) throw new ConfigError(`--view: ${view.host} is not a loopback address; serving the view there requires --view-token <token> (or PEERMON_VIEW_TOKEN)`)
  return { view, ...(viewToken === undefined ? {} : { viewToken }) }
}

/** Start and formation time allowed by default: 20 s plus 2 s per node, plus a few TTLs. */
export function defaultTimeoutMs (nodes: number, ttlMs: number): number {
  return 20_000 + 2000 * nodes + 2 * ttlMs
}

/** hang: how long the victim stays stopped by default, 2 TTLs + 2 s (a scenario's own default, scenario/builtin.ts). */
function defaultHangForMs (ttlMs: number): number {
  return 2 * ttlMs + 2000
}

function defaults (nodes: number): SwarmConfig {
  const ttlMs = defaultTtlMs(DEFAULT_INTERVAL_MS)
  return { nodes, intervalMs: DEFAULT_INTERVAL_MS, ttlMs, degree: DEFAULT_DEGREE, json: false, verbose: false, netns: false, hangForMs: defaultHangForMs(ttlMs), timeoutMs: defaultTimeoutMs(nodes, ttlMs), help: false }
}

function duration (flag: string, text: string | undefined, bounds?: { min?: number, max?: number }): number | undefined {
  return text === undefined ? undefined : durationValue(flag, text, bounds)
}
