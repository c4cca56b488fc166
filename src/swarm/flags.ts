/**
 * `peermon swarm` flags: parsing and validation into a SwarmConfig. Bad input
 * throws the CLI's ConfigError (one line naming the flag; exit code 2).
 */
import { ConfigError } from '../config-error.js'
import { DAEMON_LIMITS } from '../daemon/options.js'
import { formatDuration, parseDuration } from '../duration.js'
import { SCENARIOS, type ScenarioName } from './assessment.js'
import { DEFAULT_DEGREE } from './launcher.js'

export interface SwarmConfig {
  nodes: number
  scenario?: ScenarioName
  intervalMs: number
  ttlMs: number
  degree: number
  json: boolean
  verbose: boolean
  /** hang: how long the victim stays stopped. */
  hangForMs: number
  /** Start + formation must finish within this. */
  timeoutMs: number
  seed?: number
  help: boolean
}

export const SWARM_LIMITS = Object.freeze({ maxNodes: 200, minIntervalMs: 100 })

export const SWARM_HELP = `Usage: peermon swarm --nodes N [options]

Start N local daemons on 127.0.0.1 (child processes, fresh identities), each
bootstrapping to up to --degree earlier ones, and show their view of the swarm
(live mode), or run a chaos scenario and check every survivor detects it.

Options:
  --nodes <n>             number of daemons (1..${SWARM_LIMITS.maxNodes}; 2 or more for a scenario)
  --scenario <name>       crash (SIGKILL a node), hang (SIGSTOP, later SIGCONT) or
                          leave (SIGTERM); without it: live view until Ctrl-C
  --interval <duration>   daemons' publish interval (default: 1s)
  --ttl <duration>        daemons' metric TTL, >= 1.5 x interval (default: 3s)
  --degree <n>            bootstrap peers per node, at most (default: ${DEFAULT_DEGREE})
  --hang-for <duration>   hang: how long the victim stays stopped, > ttl (default: 2 x ttl + 2s)
  --timeout <duration>    scenario: how long the swarm may take to start and form
                          (default: 20s + 2s per node)
  --seed <n>              seed of the bootstrap graph and victim choice (default: random, printed)
  --json                  JSON lines (live) or one JSON result object (scenario)
  --verbose               forward the daemons' stderr, prefixed with the node index
  -h, --help              show this help

Durations: 250ms, 2s, 1m. Exit codes: 0 scenario passed (or live mode stopped
by Ctrl-C/SIGTERM), 1 scenario failed or runtime error, 2 bad flags.
`

type FlagName = 'nodes' | 'scenario' | 'interval' | 'ttl' | 'degree' | 'json' | 'hang-for' | 'timeout' | 'seed' | 'verbose' | 'help'
const SWITCHES = new Set<FlagName>(['json', 'verbose', 'help'])
const VALUED = new Set<FlagName>(['nodes', 'scenario', 'interval', 'ttl', 'degree', 'hang-for', 'timeout', 'seed'])

export function parseSwarmFlags (argv: readonly string[]): SwarmConfig {
  const values = new Map<FlagName, string>()
  const switches = new Set<FlagName>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-h') { switches.add('help'); continue }
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see peermon swarm --help)`)
    const eq = arg.indexOf('=')
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) as FlagName
    if (SWITCHES.has(name)) {
      if (eq !== -1) throw new ConfigError(`--${name}: takes no value`)
      switches.add(name)
    } else if (VALUED.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new ConfigError(`--${name}: expected a value`)
      if (values.has(name)) throw new ConfigError(`--${name}: given more than once`)
      values.set(name, value)
    } else {
      throw new ConfigError(`unknown option ${eq === -1 ? arg : arg.slice(0, eq)} (see peermon swarm --help)`)
    }
  }
  if (switches.has('help')) return { ...defaults(1), help: true }

  const nodesText = values.get('nodes')
  if (nodesText === undefined) throw new ConfigError('--nodes: required, a whole number of daemons to start, e.g. --nodes 5')
  const nodes = wholeNumber('nodes', nodesText, 1, SWARM_LIMITS.maxNodes)
  const scenario = scenarioOf(values.get('scenario'))
  if (scenario !== undefined && nodes < 2) throw new ConfigError(`--nodes: a scenario needs at least 2 nodes, got ${nodes}`)

  const intervalMs = duration('interval', values.get('interval')) ?? 1000
  const ttlMs = duration('ttl', values.get('ttl')) ?? 3000
  if (intervalMs < SWARM_LIMITS.minIntervalMs) throw new ConfigError(`--interval: at least ${formatDuration(SWARM_LIMITS.minIntervalMs)}, got ${values.get('interval') ?? ''}`)
  if (!(ttlMs >= DAEMON_LIMITS.minTtlIntervals * intervalMs)) throw new ConfigError(`--ttl: must be at least ${DAEMON_LIMITS.minTtlIntervals} times --interval (${formatDuration(intervalMs)}), got ${formatDuration(ttlMs)}`)

  const hangText = values.get('hang-for')
  if (hangText !== undefined && scenario !== 'hang') throw new ConfigError('--hang-for: only applies to --scenario hang')
  const hangForMs = duration('hang-for', hangText) ?? 2 * ttlMs + 2000
  if (!(hangForMs > ttlMs)) throw new ConfigError(`--hang-for: must be greater than --ttl (${formatDuration(ttlMs)}) so the hang can be detected, got ${formatDuration(hangForMs)}`)

  const timeoutText = values.get('timeout')
  const timeoutMs = duration('timeout', timeoutText) ?? defaultTimeoutMs(nodes, ttlMs)
  if (timeoutMs <= 0) throw new ConfigError(`--timeout: must be positive, got ${timeoutText ?? ''}`)

  const seedText = values.get('seed')
  return {
    nodes,
    scenario,
    intervalMs,
    ttlMs,
    degree: values.has('degree') ? wholeNumber('degree', values.get('degree') as string, 1, 64) : DEFAULT_DEGREE,
    json: switches.has('json'),
    verbose: switches.has('verbose'),
    hangForMs,
    timeoutMs,
    seed: seedText === undefined ? undefined : wholeNumber('seed', seedText, 0, 2 ** 32 - 1),
    help: false
  }
}

/** Start and formation time allowed by default: 20 s plus 2 s per node, plus a few TTLs. */
export function defaultTimeoutMs (nodes: number, ttlMs: number): number {
  return 20_000 + 2000 * nodes + 2 * ttlMs
}

function defaults (nodes: number): SwarmConfig {
  return { nodes, intervalMs: 1000, ttlMs: 3000, degree: DEFAULT_DEGREE, json: false, verbose: false, hangForMs: 8000, timeoutMs: defaultTimeoutMs(nodes, 3000), help: false }
}

function wholeNumber (name: FlagName, text: string, min: number, max: number): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN
  if (!(n >= min && n <= max)) throw new ConfigError(`--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`)
  return n
}

function duration (name: FlagName, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  try {
    return parseDuration(text)
  } catch {
    throw new ConfigError(`--${name}: expected a duration like 250ms, 2s or 1m, got ${JSON.stringify(text)}`)
  }
}

function scenarioOf (text: string | undefined): ScenarioName | undefined {
  if (text === undefined) return undefined
  if ((SCENARIOS as readonly string[]).includes(text)) return text as ScenarioName
  throw new ConfigError(`--scenario: expected one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(text)}`)
}
