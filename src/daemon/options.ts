/**
 * The daemon's options: one table of descriptors that drives flag parsing, the
 * `PEERMON_*` environment and config file keys, and `--help`; with the defaults
 * and the bounds the validation enforces.
 */
import {
  DEFAULT_INTERVAL_MS, DEFAULT_RETENTION_MS, DEFAULT_TOPIC, DEFAULT_TTL_INTERVALS, DEFAULT_TTL_MS, DEFAULT_WINDOW_SIZE
} from '../constants.js'
import { formatDuration } from '../duration.js'
import { DEFAULT_API_ADDRESS } from '../api/types.js'
import { DEFAULT_STATE_BUDGET_BYTES } from '../monitor/budget.js'
import { DEFAULT_MIN_CONNECTIONS } from './degree-keeper.js'

/** The defaults (no key file), the single source for `--help` and the README. */
export const DAEMON_DEFAULTS = Object.freeze({
  listen: Object.freeze(['/ip4/0.0.0.0/tcp/4011']),
  bootstrap: Object.freeze([] as string[]),
  intervalMs: DEFAULT_INTERVAL_MS,
  /**
   * At the default interval. With no TTL given, it is DEFAULT_TTL_INTERVALS × the interval
   * (defaultTtlMs); with no retention given, the retention is at least the TTL (defaultRetentionMs).
   */
  ttlMs: DEFAULT_TTL_MS,
  windowSize: DEFAULT_WINDOW_SIZE,
  topic: DEFAULT_TOPIC,
  allowInsecureKey: false,
  tags: Object.freeze({} as Record<string, string>),
  json: false,
  retentionMs: DEFAULT_RETENTION_MS,
  dataDir: '.',
  allow: Object.freeze([] as string[]),
  api: DEFAULT_API_ADDRESS,
  hookTimeoutMs: 10_000,
  localHealth: true,
  /** Byte budget of peer state (src/monitor/budget.ts): 256 MiB. */
  peerStateBudgetBytes: DEFAULT_STATE_BUDGET_BYTES,
  /** Connections kept, at least (src/daemon/degree-keeper.ts says why 4). */
  minConnections: DEFAULT_MIN_CONNECTIONS
})

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
  maxHookTimeoutMs: 600_000,
  minPeerStateBudgetBytes: 2 ** 20,
  /** libp2p's connection manager keeps at most 300 by default: a floor above it could never be met. */
  maxMinConnections: 300,
  maxPeerStateBudgetBytes: 64 * 2 ** 30
})

export type OptionName = 'listen' | 'bootstrap' | 'interval' | 'ttl' | 'window' | 'topic' | 'key' |
'allow-insecure-key' | 'tag' | 'json' | 'config' | 'retention' | 'data-dir' | 'psk' | 'allow' | 'allow-file' |
'api' | 'api-token' | 'api-token-file' | 'on-alert' | 'on-recovered' | 'on-left' | 'hook-timeout' | 'alert-log' | 'local-health' | 'peer-state-budget' | 'min-connections' | 'help'

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
  { name: 'bootstrap', value: '<multiaddr>', repeatable: true, env: 'PEERMON_BOOTSTRAP', inFile: true, shownDefault: 'none', description: 'peer to dial at start, and again when lost: /ip4/<ip>/tcp/<port>[/p2p/<id>], or /dns4/<name>/tcp/<port>, dialling up to 8 of the addresses the name resolves to; without /p2p/<id>, whoever answers' },
  { name: 'interval', value: '<duration>', env: 'PEERMON_INTERVAL', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.intervalMs), description: `how often to publish metrics (${formatDuration(DAEMON_LIMITS.minIntervalMs)}..${formatDuration(DAEMON_LIMITS.maxIntervalMs)})` },
  { name: 'ttl', value: '<duration>', env: 'PEERMON_TTL', inFile: true, shownDefault: `${DEFAULT_TTL_INTERVALS} x interval, so ${formatDuration(DAEMON_DEFAULTS.ttlMs)} at ${formatDuration(DAEMON_DEFAULTS.intervalMs)}`, description: `how long peers keep our metrics; >= ${DAEMON_LIMITS.minTtlIntervals} x interval, at most ${formatDuration(DAEMON_LIMITS.maxTtlMs)}` },
  { name: 'window', value: '<n>', env: 'PEERMON_WINDOW', inFile: true, shownDefault: String(DAEMON_DEFAULTS.windowSize), description: `metrics kept per peer and metric (1..${DAEMON_LIMITS.maxWindowSize})` },
  { name: 'topic', value: '<name>', env: 'PEERMON_TOPIC', inFile: true, shownDefault: DAEMON_DEFAULTS.topic, description: `pubsub topic (1..${DAEMON_LIMITS.maxTopicLength} printable characters)` },
  { name: 'key', value: '<file>', env: 'PEERMON_KEY', inFile: true, shownDefault: 'none, a fresh identity each start', description: 'persistent identity key file; created with mode 0600 if missing' },
  { name: 'allow-insecure-key', description: 'accept a key file (--key, --psk) that group or others can access' },
  { name: 'tag', value: '<key=value>', repeatable: true, env: 'PEERMON_TAG', inFile: true, shownDefault: 'none', description: `tag published as metric tag:<key> (key [A-Za-z0-9_.-]{1,32}, value up to ${DAEMON_LIMITS.maxTagValueLength} chars)` },
  { name: 'json', env: 'PEERMON_JSON', inFile: true, description: 'print events as JSON lines' },
  { name: 'retention', value: '<duration>', env: 'PEERMON_RETENTION', inFile: true, shownDefault: `${formatDuration(DAEMON_DEFAULTS.retentionMs)}, or the ttl if longer`, description: `forget a silent peer after this long; >= ttl, at most ${formatDuration(DAEMON_LIMITS.maxRetentionMs)}` },
  { name: 'data-dir', value: '<dir>', env: 'PEERMON_DATA_DIR', inFile: true, shownDefault: DAEMON_DEFAULTS.dataDir, description: 'directory whose free space is reported; when given, known peers are remembered in <dir>/peers.json' },
  { name: 'psk', value: '<file>', env: 'PEERMON_PSK', inFile: true, shownDefault: 'none, an open swarm', description: 'pre-shared swarm key (create one with peermon keygen --psk <file>); nodes without it cannot connect' },
  { name: 'allow', value: '<peer id>', repeatable: true, env: 'PEERMON_ALLOW', inFile: true, shownDefault: 'everyone', description: 'only these peers may connect and be monitored' },
  { name: 'allow-file', value: '<file>', env: 'PEERMON_ALLOW_FILE', inFile: true, shownDefault: 'none', description: 'file of allowed peer ids, one per line (# comments)' },
  { name: 'api', value: '<host:port|off>', env: 'PEERMON_API', inFile: true, shownDefault: `${DAEMON_DEFAULTS.api.host}:${DAEMON_DEFAULTS.api.port}`, description: 'HTTP API, dashboard and /metrics address; port 0 picks a free one; so does a taken default when no flag, env or file sets it (with a warning)' },
  { name: 'api-token', value: '<token>', env: 'PEERMON_API_TOKEN', inFile: true, shownDefault: 'none', description: 'bearer token the API requires; mandatory for a non-loopback --api' },
  { name: 'api-token-file', value: '<file>', env: 'PEERMON_API_TOKEN_FILE', inFile: true, shownDefault: 'none', description: 'read the API token from this file (a mounted secret; surrounding blanks ignored), instead of --api-token' },
  { name: 'on-alert', value: '<command>', env: 'PEERMON_ON_ALERT', inFile: true, shownDefault: 'none', description: 'run for each alert; event as JSON on stdin and PEERMON_* variables (a flapping peer: once, for its flapping event)' },
  { name: 'on-recovered', value: '<command>', env: 'PEERMON_ON_RECOVERED', inFile: true, shownDefault: 'none', description: 'run for each recovery (a flapping peer: for its stable event, when it is up)' },
  { name: 'on-left', value: '<command>', env: 'PEERMON_ON_LEFT', inFile: true, shownDefault: 'none', description: 'run for each graceful leave' },
  { name: 'hook-timeout', value: '<duration>', env: 'PEERMON_HOOK_TIMEOUT', inFile: true, shownDefault: formatDuration(DAEMON_DEFAULTS.hookTimeoutMs), description: 'kill a hook command still running after this long' },
  { name: 'alert-log', value: '<file>', env: 'PEERMON_ALERT_LOG', inFile: true, shownDefault: 'none', description: 'append every event to this file as JSON lines (fsync\'d); the API serves its history after a restart' },
  { name: 'local-health', value: '<on|off>', env: 'PEERMON_LOCAL_HEALTH', inFile: true, shownDefault: 'on', description: 'before alerting, check that this node is not itself the problem (stalled, overloaded, cut off, on a bad link) and wait until it has caught up; off judges every expiry at once' },
  { name: 'min-connections', value: '<n>', env: 'PEERMON_MIN_CONNECTIONS', inFile: true, shownDefault: String(DAEMON_DEFAULTS.minConnections), description: `connections to distinct peers kept, at least: below it, dial peers heard of (their signed reports say where they listen) or remembered in <data-dir>/peers.json; 0: only the --bootstrap peers (0..${DAEMON_LIMITS.maxMinConnections})` },
  { name: 'peer-state-budget', value: '<size>', env: 'PEERMON_PEER_STATE_BUDGET', inFile: true, shownDefault: '256MiB', description: 'memory kept for peers (windows, names, texts), estimated; over it silent peers are evicted, heaviest first, and new peers wait (1MiB..64GiB)' },
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
