/**
 * Flags of the client commands (`peermon peers|alerts|metrics|watch`): which
 * daemon to ask (`--api`, `--api-token`, or PEERMON_API / PEERMON_API_TOKEN),
 * `--json`, and each command's own options. Bad flags throw ConfigError (exit 2).
 */
import { ConfigError, readSecretFile } from '../config-error.js'
import { parseFlags, wantsHelp, wholeNumberValue, type FlagSpecs } from '../flags.js'
import { ALERT_HISTORY_SIZE, DEFAULT_API_ADDRESS } from '../api/types.js'

export type ClientCommand = 'peers' | 'alerts' | 'metrics' | 'watch' | 'health'

export const CLIENT_COMMANDS: readonly ClientCommand[] = ['peers', 'alerts', 'metrics', 'watch', 'health']

/** The API a client talks to when neither --api nor PEERMON_API says otherwise. */
export const DEFAULT_API_URL = `http://${DEFAULT_API_ADDRESS.host}:${DEFAULT_API_ADDRESS.port}`

export interface ClientConfig {
  command: ClientCommand
  /** Base URL of the daemon's API, without a trailing slash, e.g. `http://127.0.0.1:5011`. */
  api: string
  apiToken?: string
  json: boolean
  help: boolean
  /** `metrics`: the metric name. */
  metric?: string
  /** `alerts`: the most recent this many events. */
  limit?: number
  /** `watch`: only these event types. */
  types?: string[]
}

const HELP: Record<ClientCommand, { usage: string, about: string, options: string[] }> = {
  peers: {
    usage: 'peermon peers [options]',
    about: 'The peers a daemon monitors: state, time since the last report, connection and latest metrics.',
    options: []
  },
  alerts: {
    usage: 'peermon alerts [options]',
    about: 'Recent alert, recovered, left and forgotten events the daemon saw, oldest first.',
    options: [`  --limit <n>            only the last n events (1..${ALERT_HISTORY_SIZE})`]
  },
  metrics: {
    usage: 'peermon metrics <name> [options]',
    about: 'Each peer\'s latest valid value of one metric (ping, load, memory, freespace, peers, tag:<key>, or a custom one).',
    options: []
  },
  health: {
    usage: 'peermon health [options]',
    about: 'Whether the daemon answers, in one line: its peers by state, its own condition and its connections. For container health checks: exit 0 when it answers, 1 when not (no token needed).',
    options: []
  },
  watch: {
    usage: 'peermon watch [options]',
    about: 'Follow the daemon\'s events live, one line each as the daemon prints them, until Ctrl-C.',
    options: ['  --type <a,b,...>       only these event types, e.g. alert,recovered']
  }
}

/** `peermon <command> --help`. */
export function clientHelp (command: ClientCommand): string {
  const help = HELP[command]
  return [
    `Usage: ${help.usage}`,
    '',
    help.about,
    '',
    'Options:',
    ...help.options,
    `  --api <url|host:port>  the daemon's API (default: ${DEFAULT_API_URL}; env: PEERMON_API)`,
    '  --api-token <token>    bearer token, when the daemon runs with one (env: PEERMON_API_TOKEN)',
    '  --api-token-file <f>   read the bearer token from a file (env: PEERMON_API_TOKEN_FILE)',
    `  --json                 print ${command === 'watch' ? 'each event as a JSON line' : 'JSON instead of a table'}`,
    '  -h, --help             show this help',
    '',
    'Exit codes: 0 ok, 1 daemon unreachable or an API error, 2 bad flags.',
    ''
  ].join('\n')
}

/** Parses a client command's argv (after the command name). Throws ConfigError naming the flag. */
export function parseClientFlags (command: ClientCommand, argv: string[], env: NodeJS.ProcessEnv): ClientConfig {
  if (wantsHelp(argv)) return { command, api: DEFAULT_API_URL, json: false, help: true }
  const specs: FlagSpecs = {
    api: { value: '<url|host:port>' },
    'api-token': { value: '<token>' },
    'api-token-file': { value: '<file>' },
    json: {},
    help: { short: 'h' },
    ...(command === 'alerts' ? { limit: { value: '<n>' } } : {}),
    ...(command === 'watch' ? { type: { value: '<a,b,...>' } } : {})
  }
  const { values, positionals } = parseFlags(argv, specs, { help: `peermon ${command} --help`, positionals: command === 'metrics' ? 1 : 0 })
  const config: ClientConfig = { command, api: DEFAULT_API_URL, json: values.json === true, help: false }

  const apiText = stringFlag(values.api, '--api') ?? nonEmpty(env.PEERMON_API)
  if (apiText !== undefined) config.api = apiBaseUrl(apiText, values.api !== undefined ? '--api' : 'PEERMON_API')
  const token = stringFlag(values['api-token'], '--api-token') ?? nonEmpty(env.PEERMON_API_TOKEN)
  const tokenFileFlag = stringFlag(values['api-token-file'], '--api-token-file')
  const tokenFile = tokenFileFlag ?? nonEmpty(env.PEERMON_API_TOKEN_FILE)
  if (token !== undefined && tokenFileFlag !== undefined) throw new ConfigError('--api-token-file: give the API token once, not also with --api-token or PEERMON_API_TOKEN')
  if (token !== undefined) config.apiToken = token
  else if (tokenFile !== undefined) config.apiToken = readSecretFile(tokenFile, tokenFileFlag !== undefined ? '--api-token-file' : 'PEERMON_API_TOKEN_FILE')

  if (command === 'metrics') {
    if (positionals.length === 0) throw new ConfigError('metrics: expected a metric name, e.g. peermon metrics load')
    config.metric = positionals[0]
  }
  const limit = stringFlag(values.limit, '--limit')
  if (limit !== undefined) config.limit = wholeNumberValue('--limit', limit, 1, ALERT_HISTORY_SIZE)
  const types = stringFlag(values.type, '--type')
  if (types !== undefined) {
    const list = types.split(',').map(t => t.trim()).filter(t => t !== '')
    if (list.length === 0 || !list.every(t => /^[a-z]{1,32}$/.test(t))) {
      throw new ConfigError(`--type: expected event types separated by commas, e.g. alert,recovered, got ${JSON.stringify(types)}`)
    }
    config.types = list
  }
  return config
}

/**
 * `http://host[:port][/path]`, `https://...`, `host:port` or `:port` (loopback) → a base URL without
 * a trailing slash. Throws ConfigError naming `source`.
 */
export function apiBaseUrl (text: string, source: string): string {
  const trimmed = text.trim()
  let candidate: string
  if (/^https?:\/\//i.test(trimmed)) {
    candidate = trimmed
  } else {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(trimmed)
    if (match === null) throw invalidApi(text, source)
    candidate = `http://${match[1] === '' ? '127.0.0.1' : match[1]}:${match[2]}`
  }
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    throw invalidApi(text, source)
  }
  if (url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw invalidApi(text, source)
  return url.toString().replace(/\/+$/, '')
}

function invalidApi (text: string, source: string): ConfigError {
  return new ConfigError(`${source}: expected a URL like ${DEFAULT_API_URL} or host:port, got ${JSON.stringify(text)}`)
}

function stringFlag (value: string | string[] | true | undefined, flag: string): string | undefined {
  if (typeof value !== 'string') return undefined
  if (value.trim() === '') throw new ConfigError(`${flag}: expected a value, got an empty string`)
  return value
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
