/**
 * The daemon's configuration: flags, `PEERMON_*` environment variables and a
 * JSON config file, merged in that order of precedence over the defaults, and
 * validated so that operator mistakes fail fast with one line naming the flag.
 * One table of option descriptors drives parsing, the env and file keys and `--help`.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { formatDuration, parseDuration } from '../duration.js'

/** Bad input from the operator (a flag, env variable, config or key file): exit code 2. The message is one line. */
export class ConfigError extends Error {
  constructor (message: string) {
    super(message.replace(/\s*\n\s*/g, ' '))
    this.name = 'ConfigError'
  }
}

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
  api?: { host: string, port: number }
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
}

/** The defaults (no key file), the single source for `--help` and the README. */
export const DAEMON_DEFAULTS = Object.freeze({
  listen: Object.freeze(['/ip4/0.0.0.0/tcp/4011']),
  bootstrap: Object.freeze([] as string[]),
  intervalMs: 1000,
  ttlMs: 3000,
  windowSize: 25,
  topic: 'peermon/v1',
  allowInsecureKey: false,
  tags: Object.freeze({} as Record<string, string>),
  json: false,
  retentionMs: 600_000,
  dataDir: '.',
  allow: Object.freeze([] as string[]),
  api: Object.freeze({ host: '127.0.0.1', port: 5011 }),
  hookTimeoutMs: 10_000
})

/** A fresh, mutable copy of {@link DAEMON_DEFAULTS}. */
export function defaultDaemonConfig (): DaemonConfig {
  return {
    ...DAEMON_DEFAULTS,
    listen: [...DAEMON_DEFAULTS.listen],
    bootstrap: [...DAEMON_DEFAULTS.bootstrap],
    tags: { ...DAEMON_DEFAULTS.tags },
    allow: [...DAEMON_DEFAULTS.allow],
    api: { ...DAEMON_DEFAULTS.api }
  }
}

/** Bounds the validation enforces (ms unless noted). */
export const DAEMON_LIMITS = Object.freeze({
  minIntervalMs: 100,
  maxIntervalMs: 3_600_000,
  maxTtlMs: 86_400_000,
  /**
   * The TTL must cover an interval with room to spare: publish times are spread by ±5 % and
   * delivery takes time, so a TTL barely above the interval would alert and recover all day.
   */
  minTtlIntervals: 1.5,
  /** Node timers overflow past 2^31-1 ms (~24.8 days); a week is well inside. */
  maxRetentionMs: 7 * 86_400_000,
  maxWindowSize: 1000,
  maxTopicLength: 256,
  maxTagValueLength: 200,
  maxHookTimeoutMs: 600_000
})

const TAG_KEY = /^[A-Za-z0-9_.-]{1,32}$/

type OptionName = 'listen' | 'bootstrap' | 'interval' | 'ttl' | 'window' | 'topic' | 'key' |
'allow-insecure-key' | 'tag' | 'json' | 'config' | 'retention' | 'data-dir' | 'psk' | 'allow' | 'allow-file' |
'api' | 'api-token' | 'on-alert' | 'on-recovered' | 'on-left' | 'hook-timeout' | 'alert-log' | 'help'

/** One daemon option: its flag, value form, default, env variable and whether the config file may set it. */
export interface OptionDescriptor {
  name: OptionName
  short?: string
  /** Value form for help, e.g. `<duration>`; absent for switches. */
  value?: string
  repeatable?: boolean
  env?: string
  /** The config file key is the camelCase name. */
  inFile?: boolean
  /** Default as shown in help. */
  shownDefault?: string
  description: string
}

/** Every daemon option, in help order. */
export const DAEMON_OPTIONS: readonly OptionDescriptor[] = Object.freeze([
  { name: 'listen', value: '<multiaddr>', repeatable: true, env: 'PEERMON_LISTEN', inFile: true, shownDefault: DAEMON_DEFAULTS.listen.join(', '), description: 'address to listen on' },
  { name: 'bootstrap', value: '<multiaddr>', repeatable: true, env: 'PEERMON_BOOTSTRAP', inFile: true, shownDefault: 'none', description: 'peer to dial at start; must end in /p2p/<peer id>' },
  { name: 'interval', value: '<duration>', env: 'PEERMON_INTERVAL', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.intervalMs), description: `how often to publish metrics (${formatDuration(DAEMON_LIMITS.minIntervalMs)}..${formatDuration(DAEMON_LIMITS.maxIntervalMs)})` },
  { name: 'ttl', value: '<duration>', env: 'PEERMON_TTL', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.ttlMs), description: `how long peers keep our metrics; >= 1.5 x interval, at most ${formatDuration(DAEMON_LIMITS.maxTtlMs)}` },
  { name: 'window', value: '<n>', env: 'PEERMON_WINDOW', inFile: true, shownDefault: String(DAEMON_DEFAULTS.windowSize), description: `metrics kept per peer and metric (1..${DAEMON_LIMITS.maxWindowSize})` },
  { name: 'topic', value: '<name>', env: 'PEERMON_TOPIC', inFile: true, shownDefault: DAEMON_DEFAULTS.topic, description: `pubsub topic (1..${DAEMON_LIMITS.maxTopicLength} printable characters)` },
  { name: 'key', value: '<file>', env: 'PEERMON_KEY', inFile: true, shownDefault: 'none, a fresh identity each start', description: 'persistent identity key file; created with mode 0600 if missing' },
  { name: 'allow-insecure-key', description: 'accept a key file (--key, --psk) that group or others can access' },
  { name: 'tag', value: '<key=value>', repeatable: true, env: 'PEERMON_TAG', inFile: true, shownDefault: 'none', description: `tag published as metric tag:<key> (key [A-Za-z0-9_.-]{1,32}, value up to ${DAEMON_LIMITS.maxTagValueLength} chars)` },
  { name: 'json', env: 'PEERMON_JSON', inFile: true, description: 'print events as JSON lines' },
  { name: 'retention', value: '<duration>', env: 'PEERMON_RETENTION', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.retentionMs), description: `forget a silent peer after this long; >= ttl, at most ${formatDuration(DAEMON_LIMITS.maxRetentionMs)}` },
  { name: 'data-dir', value: '<dir>', env: 'PEERMON_DATA_DIR', inFile: true, shownDefault: DAEMON_DEFAULTS.dataDir, description: 'directory whose free space is reported' },
  { name: 'psk', value: '<file>', env: 'PEERMON_PSK', inFile: true, shownDefault: 'none, an open swarm', description: 'pre-shared swarm key (create one with peermon keygen --psk <file>); nodes without it cannot connect' },
  { name: 'allow', value: '<peer id>', repeatable: true, env: 'PEERMON_ALLOW', inFile: true, shownDefault: 'everyone', description: 'only these peers may connect and be monitored' },
  { name: 'allow-file', value: '<file>', env: 'PEERMON_ALLOW_FILE', inFile: true, shownDefault: 'none', description: 'file of allowed peer ids, one per line (# comments)' },
  { name: 'api', value: '<host:port|off>', env: 'PEERMON_API', inFile: true, shownDefault: `${DAEMON_DEFAULTS.api.host}:${DAEMON_DEFAULTS.api.port}`, description: 'HTTP API, dashboard and /metrics address; port 0 picks a free one' },
  { name: 'api-token', value: '<token>', env: 'PEERMON_API_TOKEN', inFile: true, shownDefault: 'none', description: 'bearer token the API requires; mandatory for a non-loopback --api' },
  { name: 'on-alert', value: '<command>', env: 'PEERMON_ON_ALERT', inFile: true, shownDefault: 'none', description: 'run for each alert; event as JSON on stdin and PEERMON_* variables' },
  { name: 'on-recovered', value: '<command>', env: 'PEERMON_ON_RECOVERED', inFile: true, shownDefault: 'none', description: 'run for each recovery' },
  { name: 'on-left', value: '<command>', env: 'PEERMON_ON_LEFT', inFile: true, shownDefault: 'none', description: 'run for each graceful leave' },
  { name: 'hook-timeout', value: '<duration>', env: 'PEERMON_HOOK_TIMEOUT', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.hookTimeoutMs), description: 'kill a hook command still running after this long' },
  { name: 'alert-log', value: '<file>', env: 'PEERMON_ALERT_LOG', inFile: true, shownDefault: 'none', description: 'append every event to this file as JSON lines (fsync\'d); the API serves its history after a restart' },
  { name: 'config', value: '<file>', env: 'PEERMON_CONFIG', description: 'JSON file with the camelCase option names as keys' },
  { name: 'help', short: 'h', description: 'show this help' }
] satisfies OptionDescriptor[])

/** The `peermon daemon --help` text, generated from {@link DAEMON_OPTIONS}. */
export function daemonHelp (): string {
  const rows = DAEMON_OPTIONS.map(option => {
    const flag = `${option.short !== undefined ? `-${option.short}, ` : ''}--${option.name}${option.value !== undefined ? ` ${option.value}` : ''}`
    const notes = [
      option.repeatable === true ? 'repeatable' : undefined,
      option.shownDefault !== undefined ? `default: ${option.shownDefault}` : undefined,
      option.env !== undefined ? `env: ${option.env}` : undefined
    ].filter((note): note is string => note !== undefined)
    return { flag, description: option.description, notes: notes.join('; ') }
  })
  const width = Math.max(...rows.map(row => row.flag.length)) + 2
  const pad = ' '.repeat(width + 2)
  const lines = rows.map(row => `  ${row.flag.padEnd(width)}${row.description}${row.notes !== '' ? `\n${pad}(${row.notes})` : ''}`)
  return [
    'Usage: peermon daemon [options]',
    '',
    'Run a monitor node: publish this node\'s metrics on a pubsub topic every interval,',
    'log the metrics peers publish, and report when a peer\'s metrics expire.',
    '',
    'Options:',
    ...lines,
    '',
    'Durations: 250ms, 2s, 1.5s, 1m, 1h, 1m30s.',
    'Precedence: flags > PEERMON_* environment > config file > defaults. In the environment,',
    'repeatable options are comma-separated and switches are 1/true/0/false; empty means unset.',
    'Relative file paths (key, dataDir, psk, allowFile, alertLog) in a config file are relative to the file.',
    ''
  ].join('\n')
}

/** True when argv asks for help (`-h`/`--help` before any `--`). */
export function wantsHelp (argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

type RawValue = string | string[] | boolean

/** A raw value and where it came from, e.g. `--interval` or `PEERMON_INTERVAL`. */
interface Setting { value: RawValue, source: string }

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
  return await resolveConfig(pick)
}

const DESCRIPTOR = new Map(DAEMON_OPTIONS.map(option => [option.name, option]))

function readFlags (argv: string[]): Layer {
  const options = Object.fromEntries(DAEMON_OPTIONS.map(option => [option.name, {
    type: option.value === undefined ? 'boolean' as const : 'string' as const,
    multiple: option.repeatable === true,
    ...(option.short !== undefined ? { short: option.short } : {})
  }]))
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true })
  const layer: Layer = new Map()
  for (const token of tokens) {
    if (token.kind === 'positional') throw new ConfigError(`unexpected argument ${quote(token.value)} (see peermon daemon --help)`)
    if (token.kind !== 'option') continue
    const option = DESCRIPTOR.get(token.name as OptionName)
    if (option === undefined) throw new ConfigError(`unknown option ${token.rawName} (see peermon daemon --help)`)
    const source = `--${option.name}`
    if (option.value === undefined) {
      if (token.value !== undefined) throw new ConfigError(`${source}: takes no value, got ${quote(token.value)}`)
      layer.set(option.name, { value: true, source })
      continue
    }
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('-') && token.value !== '-')) {
      throw new ConfigError(`${source}: expected a value ${option.value}`)
    }
    const previous = layer.get(option.name)
    if (option.repeatable === true) {
      const values = Array.isArray(previous?.value) ? previous.value : []
      layer.set(option.name, { value: [...values, token.value], source })
    } else {
      if (previous !== undefined) throw new ConfigError(`${source}: given more than once`)
      layer.set(option.name, { value: token.value, source })
    }
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
    const relativeToFile = ['key', 'data-dir', 'psk', 'allow-file', 'alert-log'].includes(option.name)
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
  if (option.name === 'window' && typeof value === 'number') return String(value)
  if (option.repeatable === true) {
    const list = typeof value === 'string' ? [value] : value
    if (Array.isArray(list) && list.every((item): item is string => typeof item === 'string')) return list
    throw new ConfigError(`${source}: expected ${option.name === 'tag' ? 'an object or an array of "key=value" strings' : `an array of ${option.value} strings`}, got ${show(value)}`)
  }
  if (typeof value !== 'string') throw new ConfigError(`${source}: expected a ${option.value} string, got ${show(value)}`)
  return value
}

async function resolveConfig (pick: (name: OptionName) => Setting | undefined): Promise<DaemonConfig> {
  const config: DaemonConfig = {
    listen: listOf(pick('listen'), validListenAddr) ?? [...DAEMON_DEFAULTS.listen],
    bootstrap: listOf(pick('bootstrap'), validBootstrapAddr) ?? [...DAEMON_DEFAULTS.bootstrap],
    intervalMs: durationOf(pick('interval'), DAEMON_LIMITS.minIntervalMs, DAEMON_LIMITS.maxIntervalMs) ?? DAEMON_DEFAULTS.intervalMs,
    ttlMs: durationOf(pick('ttl'), 1, DAEMON_LIMITS.maxTtlMs) ?? DAEMON_DEFAULTS.ttlMs,
    windowSize: windowOf(pick('window')) ?? DAEMON_DEFAULTS.windowSize,
    topic: topicOf(pick('topic')) ?? DAEMON_DEFAULTS.topic,
    allowInsecureKey: pick('allow-insecure-key')?.value === true,
    tags: tagsOf(pick('tag')) ?? { ...DAEMON_DEFAULTS.tags },
    json: (pick('json')?.value ?? DAEMON_DEFAULTS.json) === true,
    retentionMs: durationOf(pick('retention'), 1, DAEMON_LIMITS.maxRetentionMs) ?? DAEMON_DEFAULTS.retentionMs,
    dataDir: pathOf(pick('data-dir')) ?? DAEMON_DEFAULTS.dataDir,
    allow: listOf(pick('allow'), validPeerId) ?? [...DAEMON_DEFAULTS.allow],
    hookTimeoutMs: durationOf(pick('hook-timeout'), 1, DAEMON_LIMITS.maxHookTimeoutMs) ?? DAEMON_DEFAULTS.hookTimeoutMs
  }
  const api = apiOf(pick('api'))
  if (api !== null) config.api = api ?? { ...DAEMON_DEFAULTS.api }
  const optional = { keyFile: 'key', pskFile: 'psk', allowFile: 'allow-file', apiToken: 'api-token', onAlert: 'on-alert', onRecovered: 'on-recovered', onLeft: 'on-left', alertLog: 'alert-log' } as const
  for (const [field, option] of Object.entries(optional)) {
    const value = pathOf(pick(option))
    if (value !== undefined && value !== '') config[field as keyof typeof optional] = value
  }
  if (config.api != null && config.apiToken == null && !isLoopback(config.api.host)) {
    throw new ConfigError(`${pick('api')?.source ?? '--api'}: ${config.api.host} is not a loopback address; serving the API there requires --api-token <token> (or PEERMON_API_TOKEN)`)
  }
  if (!(config.ttlMs >= DAEMON_LIMITS.minTtlIntervals * config.intervalMs)) {
    throw orderError(pick('interval'), config.intervalMs, '--interval', pick('ttl'), config.ttlMs, '--ttl', `at least ${DAEMON_LIMITS.minTtlIntervals} times`)
  }
  if (!(config.retentionMs >= config.ttlMs)) {
    throw orderError(pick('ttl'), config.ttlMs, '--ttl', pick('retention'), config.retentionMs, '--retention', 'at least')
  }
  await checkDirectory(pick('data-dir'), config.dataDir)
  return config
}

/**
 * The error for two durations out of order (`lower` must stay below `upper`):
 * blames the upper one when the operator set it, else the lower one, since the defaults fit each other.
 */
function orderError (lower: Setting | undefined, lowerMs: number, lowerFlag: string, upper: Setting | undefined, upperMs: number, upperFlag: string, relation: string): ConfigError {
  if (upper !== undefined || lower === undefined) {
    return new ConfigError(`${upper?.source ?? upperFlag}: must be ${relation} the ${lowerFlag.slice(2)} (${formatDuration(lowerMs)}), got ${formatDuration(upperMs)}`)
  }
  return new ConfigError(`${lower.source}: ${formatDuration(lowerMs)} needs ${upperFlag} to be ${relation} it (the default ${upperFlag} is ${formatDuration(upperMs)})`)
}

function listOf (setting: Setting | undefined, check: (addr: string, source: string) => void): string[] | undefined {
  if (setting === undefined) return undefined
  const list = Array.isArray(setting.value) ? setting.value : [String(setting.value)]
  for (const item of list) check(item, setting.source)
  return [...list]
}

type Tuples = ReturnType<ReturnType<typeof multiaddr>['tuples']>

/** Parses a multiaddr fully (some components only decode when asked) and returns its components. */
function parseMultiaddr (text: string, source: string, example: string): Tuples {
  try {
    return multiaddr(text).tuples()
  } catch (err) {
    throw new ConfigError(`${source}: expected a multiaddr like ${example}, got ${quote(text)} (${err instanceof Error ? err.message : String(err)})`)
  }
}

/** `host:port`, `:port` (loopback) or `off`; null for off, undefined when unset. */
function apiOf (setting: Setting | undefined): { host: string, port: number } | null | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value).trim()
  if (text === 'off') return null
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(text)
  const port = match == null ? NaN : Number(match[2])
  if (match == null || port > 65535) {
    throw new ConfigError(`${setting.source}: expected host:port (e.g. 127.0.0.1:5011, :0 for a free port) or off, got ${quote(text)}`)
  }
  const host = match[1] === '' ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '')
  return { host, port }
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function validPeerId (text: string, source: string): void {
  try {
    peerIdFromString(text)
  } catch {
    throw new ConfigError(`${source}: expected a peer id like 12D3KooW..., got ${quote(text)}`)
  }
}

function validListenAddr (text: string, source: string): void {
  parseMultiaddr(text, source, '/ip4/0.0.0.0/tcp/4011')
}

const BOOTSTRAP_EXAMPLE = '/ip4/10.0.0.1/tcp/4011/p2p/12D3KooW...'

function validBootstrapAddr (text: string, source: string): void {
  const tuples = parseMultiaddr(text, source, BOOTSTRAP_EXAMPLE)
  const [code, bytes] = tuples[tuples.length - 1] ?? []
  if (code !== 421 || bytes === undefined) {
    throw new ConfigError(`${source}: expected a multiaddr ending in /p2p/<peer id> like ${BOOTSTRAP_EXAMPLE}, got ${quote(text)}`)
  }
  // A peer id is a multihash: identity (0x00) of a public key, or sha2-256 (0x12, 32 bytes).
  const validMultihash = bytes.length >= 2 && bytes[1] === bytes.length - 2 &&
    ((bytes[0] === 0x00 && bytes[1] <= 64) || (bytes[0] === 0x12 && bytes[1] === 32))
  if (!validMultihash) throw new ConfigError(`${source}: ${quote(text)} does not end in a valid peer id`)
}

function durationOf (setting: Setting | undefined, min: number, max: number): number | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value)
  let ms: number
  try {
    ms = parseDuration(text)
  } catch {
    throw new ConfigError(`${setting.source}: expected a duration like 250ms, 2s or 1m, got ${quote(text)}`)
  }
  if (ms < min || ms > max) {
    throw new ConfigError(`${setting.source}: expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${quote(text)}`)
  }
  return ms
}

function windowOf (setting: Setting | undefined): number | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value)
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN
  if (!(n >= 1 && n <= DAEMON_LIMITS.maxWindowSize)) {
    throw new ConfigError(`${setting.source}: expected a whole number from 1 to ${DAEMON_LIMITS.maxWindowSize}, got ${quote(text)}`)
  }
  return n
}

function topicOf (setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined
  const text = String(setting.value)
  const length = [...text].length
  if (length < 1 || length > DAEMON_LIMITS.maxTopicLength || /\p{C}/u.test(text)) {
    throw new ConfigError(`${setting.source}: expected 1 to ${DAEMON_LIMITS.maxTopicLength} printable characters like ${DAEMON_DEFAULTS.topic}, got ${quote(text)}`)
  }
  return text
}

function tagsOf (setting: Setting | undefined): Record<string, string> | undefined {
  if (setting === undefined) return undefined
  const tags = new Map<string, string>()
  for (const item of Array.isArray(setting.value) ? setting.value : [String(setting.value)]) {
    const eq = item.indexOf('=')
    const key = eq === -1 ? item : item.slice(0, eq)
    const value = item.slice(eq + 1)
    if (eq === -1 || !TAG_KEY.test(key)) {
      throw new ConfigError(`${setting.source}: expected key=value with a key of 1 to 32 of A-Z a-z 0-9 _ . -, got ${quote(item)}`)
    }
    if (value.length > DAEMON_LIMITS.maxTagValueLength) {
      throw new ConfigError(`${setting.source}: tag ${quote(key)} value is longer than ${DAEMON_LIMITS.maxTagValueLength} characters`)
    }
    if (tags.has(key)) throw new ConfigError(`${setting.source}: tag ${quote(key)} given more than once`)
    tags.set(key, value)
  }
  // fromEntries defines own properties, so even a key like __proto__ survives.
  return Object.fromEntries(tags)
}

function pathOf (setting: Setting | undefined): string | undefined {
  if (setting === undefined) return undefined
  return String(setting.value)
}

async function checkDirectory (setting: Setting | undefined, dir: string): Promise<void> {
  const source = setting?.source ?? '--data-dir'
  try {
    if (!(await stat(dir)).isDirectory()) throw new ConfigError(`${source}: ${quote(dir)} is not a directory`)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`${source}: cannot use directory ${quote(dir)}: ${describeFsError(err)}`)
  }
}

/** A short reason for a file system error, e.g. `no such file or directory`. */
export function describeFsError (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT': return 'no such file or directory'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'is a directory'
    case 'ENOTDIR': return 'a parent is not a directory'
    default: return err instanceof Error ? err.message : String(err)
  }
}

/** Quotes a string for a one-line message, cut short if long. */
function quote (text: string): string {
  return shorten(JSON.stringify(text))
}

/** Shows any JSON value for a one-line message, cut short if long. */
function show (value: unknown): string {
  return shorten(JSON.stringify(value) ?? String(value))
}

function shorten (text: string): string {
  return text.length > 80 ? `${text.slice(0, 76)}...` : text
}
