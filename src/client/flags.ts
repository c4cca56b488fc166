/**
 * Flags of the client commands (`peermon peers|alerts|metrics|watch`): which
 * daemon to ask (`--api`, `--api-token`, or PEERMON_API / PEERMON_API_TOKEN),
 * `--json`, and each command's own options. Bad flags throw ConfigError (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError } from '../config-error.js'
import { DAEMON_DEFAULTS } from '../daemon/options.js'
import { ALERT_HISTORY_SIZE } from '../api/types.js'

export type ClientCommand = 'peers' | 'alerts' | 'metrics' | 'watch'

export const CLIENT_COMMANDS: readonly ClientCommand[] = ['peers', 'alerts', 'metrics', 'watch']

/** The API a client talks to when neither --api nor PEERMON_API says otherwise. */
export const DEFAULT_API_URL = `http://${DAEMON_DEFAULTS.api.host}:${DAEMON_DEFAULTS.api.port}`

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
    '  --api-token <token>    bearer token, when the daemon runs with --api-token (env: PEERMON_API_TOKEN)',
    `  --json                 print ${command === 'watch' ? 'each event as a JSON line' : 'JSON instead of a table'}`,
    '  -h, --help             show this help',
    '',
    'Exit codes: 0 ok, 1 daemon unreachable or an API error, 2 bad flags.',
    ''
  ].join('\n')
}

/** Parses a client command's argv (after the command name). Throws ConfigError naming the flag. */
export function parseClientFlags (command: ClientCommand, argv: string[], env: NodeJS.ProcessEnv): ClientConfig {
  const options: ParseArgsConfig['options'] = {
    api: { type: 'string' },
    'api-token': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }
  if (command === 'alerts') options.limit = { type: 'string' }
  if (command === 'watch') options.type = { type: 'string' }
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    ({ values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as { values: Record<string, string | boolean | undefined>, positionals: string[] })
  } catch (err) {
    throw new ConfigError(`${describeParseError(err)} (see peermon ${command} --help)`)
  }
  const config: ClientConfig = { command, api: DEFAULT_API_URL, json: values.json === true, help: values.help === true }
  if (config.help) return config

  const apiText = stringFlag(values.api, '--api') ?? nonEmpty(env.PEERMON_API)
  if (apiText !== undefined) config.api = apiBaseUrl(apiText, values.api !== undefined ? '--api' : 'PEERMON_API')
  const token = stringFlag(values['api-token'], '--api-token') ?? nonEmpty(env.PEERMON_API_TOKEN)
  if (token !== undefined) config.apiToken = token

  const wanted = command === 'metrics' ? 1 : 0
  if (positionals.length > wanted) throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[wanted])} (see peermon ${command} --help)`)
  if (command === 'metrics') {
    if (positionals.length === 0) throw new ConfigError('metrics: expected a metric name, e.g. peermon metrics load')
    config.metric = positionals[0]
  }
  const limit = stringFlag(values.limit, '--limit')
  if (limit !== undefined) {
    const n = /^\d{1,7}$/.test(limit) ? Number(limit) : NaN
    if (!(n >= 1 && n <= ALERT_HISTORY_SIZE)) throw new ConfigError(`--limit: expected a whole number from 1 to ${ALERT_HISTORY_SIZE}, got ${JSON.stringify(limit)}`)
    config.limit = n
  }
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

function stringFlag (value: string | boolean | undefined, flag: string): string | undefined {
  if (typeof value !== 'string') return undefined
  if (value.trim() === '') throw new ConfigError(`${flag}: expected a value, got an empty string`)
  return value
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** node:util's parse errors as one short line, e.g. `unknown option --foo`. */
function describeParseError (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const unknown = /Unknown option '([^']+)'/.exec(message)
  if (unknown !== null) return `unknown option ${unknown[1]}`
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message)
  if (missing !== null) return `${missing[1]}: expected a value`
  const notValue = /Option '(--[\w-]+)' does not take an argument/.exec(message)
  if (notValue !== null) return `${notValue[1]}: takes no value`
  return message.split('\n')[0]
}
