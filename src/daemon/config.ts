/**
 * The daemon's configuration: flags, `PEERMON_*` environment variables and a
 * JSON config file, merged in that order of precedence over the defaults, and
 * validated so that operator mistakes fail fast with one line naming the flag.
 * The option table lives in options.ts, the per-value parsers in config-values.ts.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { defaultRetentionMs, defaultTtlMs } from '../constants.js'
import { formatDuration } from '../duration.js'
import { ConfigError, describeFsError, quote, readSecretFile, show } from '../config-error.js'
import { parseFlags } from '../flags.js'
import { apiOf, checkDirectory, durationOf, minConnectionsOf, sizeOf, isLoopback, listOf, onOffOf, pathOf, tagsOf, topicOf, validBootstrapAddr, validListenAddr, validPeerId, windowOf, type RawValue, type Setting } from './config-values.js'
import { DAEMON_DEFAULTS, DAEMON_LIMITS, DAEMON_OPTIONS, type OptionDescriptor, type OptionName } from './options.js'
import { instrumentationFromEnv, type Instrumentation } from './trace.js'
import { KNOWN_PEERS_FILE } from './known-peers.js'

/** The validated daemon configuration. */
export interface DaemonConfig {
  /** Multiaddrs to listen on. */
  listen: string[]
  /** Multiaddrs to dial at start; each ends in `/p2p/<peer id>`. */
  bootstrap: string[]
  /** How often this node publishes its metrics (ms). */
  intervalMs: number
  /** Time to live of this node's metrics (ms); at least 1.5 × intervalMs. */
  ttlMs: number
  /** Metrics kept per (peer, metric). */
  windowSize: number
  /** Pubsub topic. */
  topic: string
  /** Persistent identity key file; undefined = a fresh identity each start. */
  keyFile?: string
  /** Accept a key file or swarm key file that group or others may read. */
  allowInsecureKey: boolean
  /** Tags published as `tag:<key>` metrics. */
  tags: Record<string, string>
  /** Print events as JSON lines instead of human-readable lines. */
  json: boolean
  /** Forget a silent peer after this long (ms); at least ttlMs. */
  retentionMs: number
  /** Directory whose file system's free space is reported. */
  dataDir: string
  /** Pre-shared swarm key file (libp2p private network); undefined = an open swarm. */
  pskFile?: string
  /** Peer ids allowed to connect and be monitored (with those of allowFile); empty = everyone. */
  allow: string[]
  /** File with one allowed peer id per line (`#` comments). */
  allowFile?: string
  /** Where the HTTP API listens; undefined = no API (`--api off`). */
  api?: ApiAddress
  /** Bearer token the HTTP API requires; mandatory when `api` is not a loopback address. */
  apiToken?: string
  /** Command run for each alert, with the event as JSON on stdin and PEERMON_* variables. */
  onAlert?: string
  /** Command run for each recovery. */
  onRecovered?: string
  /** Command run for each graceful leave. */
  onLeft?: string
  /** A hook still running after this long (ms) is killed. */
  hookTimeoutMs: number
  /** File every event is appended to as a JSON line (fsync'd); undefined = none. */
  alertLog?: string
  /** Local health (src/monitor/local-health.ts): judge peers only while this node can trust its own view. */
  localHealth: boolean
  /** Byte budget of peer state (src/monitor/budget.ts). */
  peerStateBudgetBytes: number
  /** Connections to distinct peers kept, at least (degree-keeper.ts); 0: only the bootstrap peers. */
  minConnections: number
  /** Where known peers are remembered across restarts (known-peers.ts): `<data-dir>/peers.json` when a data directory is given, else none. */
  peersFile?: string
  /** Benchmark instrumentation (trace.ts), from `PEERMON_TRACE` and `PEERMON_GOSSIPSUB` only: not daemon options. */
  instrumentation?: Instrumentation
}

/** The HTTP API's address, and whether the operator chose it. */
export interface ApiAddress {
  host: string
  port: number
  /**
   * Set by a flag, the environment or the config file. An explicit address that cannot
   * be bound stops the daemon (exit 2); the default, when taken, gives way to a free port.
   */
  explicit: boolean
}

/** A fresh, mutable copy of {@link DAEMON_DEFAULTS}. */
export function defaultDaemonConfig (): DaemonConfig {
  return {
    ...DAEMON_DEFAULTS,
    listen: [...DAEMON_DEFAULTS.listen],
    bootstrap: [...DAEMON_DEFAULTS.bootstrap],
    tags: { ...DAEMON_DEFAULTS.tags },
    allow: [...DAEMON_DEFAULTS.allow],
    api: { ...DAEMON_DEFAULTS.api, explicit: false }
  }
}

type Layer = Map<OptionName, Setting>

/**
 * Parses flags, reads the config file (`--config` or PEERMON_CONFIG) and the
 * `PEERMON_*` environment, merges them (flags > env > file > defaults) and
 * validates the result. Throws {@link ConfigError} naming the flag, env
 * variable or config key on any bad input.
 */
export async function loadDaemonConfig (argv: string[], env: NodeJS.ProcessEnv): Promise<DaemonConfig> {
  const flags = readFlags(argv)
  const envLayer = readEnv(env)
  const configPath = flags.get('config') ?? envLayer.get('config')
  const file = configPath === undefined ? new Map() : await readConfigFile(String(configPath.value), configPath.source)
  const pick = (name: OptionName): Setting | undefined => flags.get(name) ?? envLayer.get(name) ?? file.get(name)
  const config = await resolveConfig(pick)
  const instrumentation = await instrumentationFromEnv(env)
  return instrumentation === undefined ? config : { ...config, instrumentation }
}

function readFlags (argv: string[]): Layer {
  const specs = Object.fromEntries(DAEMON_OPTIONS.map(option => [option.name, option]))
  const { values } = parseFlags(argv, specs, { help: 'peermon daemon --help' })
  const layer: Layer = new Map()
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) layer.set(name as OptionName, { value, source: `--${name}` })
  }
  return layer
}

function readEnv (env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = new Map()
  for (const option of DAEMON_OPTIONS) {
    if (option.env === undefined) continue
    const text = env[option.env]
    if (text === undefined || text.trim() === '') continue
    const source = option.env
    if (option.value === undefined) {
      layer.set(option.name, { value: parseBoolean(text, source), source })
    } else if (option.repeatable === true) {
      layer.set(option.name, { value: text.split(',').map(part => part.trim()).filter(part => part !== ''), source })
    } else {
      layer.set(option.name, { value: text.trim(), source })
    }
  }
  return layer
}

function parseBoolean (text: string, source: string): boolean {
  const normalized = text.trim().toLowerCase()
  if (normalized === '1' || normalized === 'true') return true
  if (normalized === '0' || normalized === 'false') return false
  throw new ConfigError(`${source}: expected 1, true, 0 or false, got ${quote(text)}`)
}

const camelCase = (name: string): string => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())

const FILE_KEYS = new Map(DAEMON_OPTIONS.filter(option => option.inFile === true).map(option => [camelCase(option.name), option]))

async function readConfigFile (path: string, pathSource: string): Promise<Layer> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`${pathSource}: cannot read config file ${quote(path)}: ${describeFsError(err)}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${quote(path)}: invalid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`config file ${quote(path)}: expected a JSON object with keys like "interval"`)
  }
  const layer: Layer = new Map()
  for (const [key, value] of Object.entries(data)) {
    const option = FILE_KEYS.get(key)
    if (option === undefined) {
      throw new ConfigError(`config file ${quote(path)}: unknown key ${quote(key)} (known keys: ${[...FILE_KEYS.keys()].join(', ')})`)
    }
    const source = `config key ${quote(key)} in ${quote(path)}`
    const raw = fileValue(option, value, source)
    const relativeToFile = ['key', 'data-dir', 'psk', 'allow-file', 'api-token-file', 'alert-log'].includes(option.name)
    layer.set(option.name, { value: relativeToFile ? resolve(dirname(path), String(raw)) : raw, source })
  }
  return layer
}

function fileValue (option: OptionDescriptor, value: unknown, source: string): RawValue {
  if (option.value === undefined) {
    if (typeof value !== 'boolean') throw new ConfigError(`${source}: expected true or false, got ${show(value)}`)
    return value
  }
  if (option.name === 'tag' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).map(([key, tagValue]) => {
      if (typeof tagValue !== 'string') throw new ConfigError(`${source}: tag ${quote(key)} must be a string, got ${show(tagValue)}`)
      return `${key}=${tagValue}`
    })
  }
  if ((option.name === 'window' || option.name === 'peer-state-budget' || option.name === 'min-connections') && typeof value === 'number') return String(value)
  if (option.name === 'local-health' && typeof value === 'boolean') return value
  if (option.repeatable === true) {
    const list = typeof value === 'string' ? [value] : value
    if (Array.isArray(list) && list.every((item): item is string => typeof item === 'string')) return list
    throw new ConfigError(`${source}: expected ${option.name === 'tag' ? 'an object or an array of "key=value" strings' : `an array of ${option.value} strings`}, got ${show(value)}`)
  }
  if (typeof value !== 'string') throw new ConfigError(`${source}: expected a ${option.value} string, got ${show(value)}`)
  return value
}

async function resolveConfig (pick: (name: OptionName) => Setting | undefined): Promise<DaemonConfig> {
  const listen = listOf(pick('listen'), validListenAddr) ?? [...DAEMON_DEFAULTS.listen]
  const bootstrap = listOf(pick('bootstrap'), validBootstrapAddr) ?? [...DAEMON_DEFAULTS.bootstrap]
  const intervalMs = durationOf(pick('interval'), DAEMON_LIMITS.minIntervalMs, DAEMON_LIMITS.maxIntervalMs) ?? DAEMON_DEFAULTS.intervalMs
  // No TTL given: it follows the interval; no retention given: it covers the TTL.
  const ttlMs = durationOf(pick('ttl'), 1, DAEMON_LIMITS.maxTtlMs) ?? defaultTtlMs(intervalMs)
  const config: DaemonConfig = {
    listen,
    bootstrap,
    intervalMs,
    ttlMs,
    windowSize: windowOf(pick('window')) ?? DAEMON_DEFAULTS.windowSize,
    topic: topicOf(pick('topic')) ?? DAEMON_DEFAULTS.topic,
    allowInsecureKey: pick('allow-insecure-key')?.value === true,
    tags: tagsOf(pick('tag')) ?? { ...DAEMON_DEFAULTS.tags },
    json: (pick('json')?.value ?? DAEMON_DEFAULTS.json) === true,
    retentionMs: durationOf(pick('retention'), 1, DAEMON_LIMITS.maxRetentionMs) ?? defaultRetentionMs(ttlMs),
    dataDir: pathOf(pick('data-dir')) ?? DAEMON_DEFAULTS.dataDir,
    allow: listOf(pick('allow'), validPeerId) ?? [...DAEMON_DEFAULTS.allow],
    hookTimeoutMs: durationOf(pick('hook-timeout'), 1, DAEMON_LIMITS.maxHookTimeoutMs) ?? DAEMON_DEFAULTS.hookTimeoutMs,
    localHealth: onOffOf(pick('local-health')) ?? DAEMON_DEFAULTS.localHealth,
    peerStateBudgetBytes: sizeOf(pick('peer-state-budget'), DAEMON_LIMITS.minPeerStateBudgetBytes, DAEMON_LIMITS.maxPeerStateBudgetBytes) ?? DAEMON_DEFAULTS.peerStateBudgetBytes,
    minConnections: minConnectionsOf(pick('min-connections')) ?? DAEMON_DEFAULTS.minConnections
  }
  // Known peers are written only where the operator chose a place for the daemon's state.
  if (pick('data-dir') !== undefined) config.peersFile = join(config.dataDir, KNOWN_PEERS_FILE)
  const api = apiOf(pick('api'))
  if (api !== null) config.api = api === undefined ? { ...DAEMON_DEFAULTS.api, explicit: false } : { ...api, explicit: true }
  const optional = { keyFile: 'key', pskFile: 'psk', allowFile: 'allow-file', apiToken: 'api-token', onAlert: 'on-alert', onRecovered: 'on-recovered', onLeft: 'on-left', alertLog: 'alert-log' } as const
  for (const [field, option] of Object.entries(optional)) {
    const value = pathOf(pick(option))
    if (value !== undefined && value !== '') config[field as keyof typeof optional] = value
  }
  const tokenFile = pick('api-token-file')
  if (tokenFile !== undefined) {
    const token = pick('api-token')
    if (token !== undefined) throw new ConfigError(`${tokenFile.source}: give the API token once, not also with ${token.source}`)
    config.apiToken = readSecretFile(String(tokenFile.value), tokenFile.source)
  }
  if (config.api != null && config.apiToken == null && !isLoopback(config.api.host)) {
    throw new ConfigError(`${pick('api')?.source ?? '--api'}: ${config.api.host} is not a loopback address; serving the API there requires --api-token <token> or --api-token-file <file> (or PEERMON_API_TOKEN, PEERMON_API_TOKEN_FILE)`)
  }
  if (!(config.ttlMs >= DAEMON_LIMITS.minTtlIntervals * config.intervalMs)) {
    throw orderError(config.intervalMs, '--interval', pick('ttl'), config.ttlMs, '--ttl', `at least ${DAEMON_LIMITS.minTtlIntervals} times`)
  }
  if (!(config.retentionMs >= config.ttlMs)) {
    throw orderError(config.ttlMs, '--ttl', pick('retention'), config.retentionMs, '--retention', 'at least')
  }
  await checkDirectory(pick('data-dir'), config.dataDir)
  return config
}

/**
 * The error for two durations out of order (`lower` must stay below `upper`): blames the
 * upper one, the only one that can be out of order, since when it is not set it follows
 * the lower one (defaultTtlMs, defaultRetentionMs).
 */
function orderError (lowerMs: number, lowerFlag: string, upper: Setting | undefined, upperMs: number, upperFlag: string, relation: string): ConfigError {
  return new ConfigError(`${upper?.source ?? upperFlag}: must be ${relation} the ${lowerFlag.slice(2)} (${formatDuration(lowerMs)}), got ${formatDuration(upperMs)}`)
}
