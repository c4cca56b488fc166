import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ConfigError } from '../../src/config-error.js'
import { defaultDaemonConfig, loadDaemonConfig } from '../../src/daemon/config.js'
import { DAEMON_DEFAULTS, DAEMON_OPTIONS, daemonHelp } from '../../src/daemon/options.js'
import { wantsHelp } from '../../src/flags.js'

const PEER = '12D3KooWGRUVh7b4H3bFxmQ7hbmsm5iR4HUZ4nFC5ySUxZ6LiBTm'
const BOOT = `/ip4/10.0.0.1/tcp/4011/p2p/${PEER}`

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'peermon-config-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function configFile (name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** Asserts loading fails with a one-line ConfigError whose message starts with `prefix` and matches `pattern`. */
async function rejectsWith (argv: string[], env: NodeJS.ProcessEnv, prefix: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(loadDaemonConfig(argv, env), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.ok(err.message.startsWith(prefix), `"${err.message}" should start with "${prefix}"`)
    assert.ok(!err.message.includes('\n'), 'one line')
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  })
}

describe('loadDaemonConfig', () => {
  it('uses the defaults when nothing is given', async () => {
    const config = await loadDaemonConfig([], {})
    assert.equal(config.keyFile, undefined)
    assert.deepEqual(config, defaultDaemonConfig())
    assert.deepEqual(config, {
      listen: ['/ip4/0.0.0.0/tcp/4011'],
      bootstrap: [],
      intervalMs: 1000,
      ttlMs: 3000,
      windowSize: 25,
      topic: 'peermon/v1',
      allowInsecureKey: false,
      tags: {},
      json: false,
      retentionMs: 600_000,
      dataDir: '.',
      allow: [],
      api: { host: '127.0.0.1', port: 5011, explicit: false },
      hookTimeoutMs: 10_000,
      localHealth: true,
      peerStateBudgetBytes: 256 * 2 ** 20,
      minConnections: 4
    })
    config.listen.push('/ip4/1.2.3.4/tcp/1')
    assert.deepEqual(DAEMON_DEFAULTS.listen, ['/ip4/0.0.0.0/tcp/4011'], 'the defaults cannot be changed through a config')
  })

  it('reads every flag', async () => {
    const config = await loadDaemonConfig([
      '--listen', '/ip4/127.0.0.1/tcp/0', '--listen=/ip6/::1/tcp/0', '--bootstrap', BOOT,
      '--interval', '250ms', '--ttl', '1s', '--window', '5', '--topic', 'lab/x', '--key', 'id.key',
      '--allow-insecure-key', '--tag', 'zone=eu-1', '--tag', 'role=', '--json', '--retention', '1m', '--data-dir', dir,
      '--psk', 'swarm.key', '--allow', PEER, '--allow-file', 'allowed.txt', '--api', '0.0.0.0:0', '--api-token', 's3cret',
      '--on-alert', 'notify alert', '--on-recovered', 'notify ok', '--on-left', 'notify left', '--hook-timeout', '2s',
      '--alert-log', 'events.jsonl', '--local-health', 'off', '--peer-state-budget', '64MiB', '--min-connections', '0'
    ], {})
    assert.deepEqual(config, {
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'],
      bootstrap: [BOOT],
      intervalMs: 250,
      ttlMs: 1000,
      windowSize: 5,
      topic: 'lab/x',
      keyFile: 'id.key',
      allowInsecureKey: true,
      tags: { zone: 'eu-1', role: '' },
      json: true,
      retentionMs: 60_000,
      dataDir: dir,
      pskFile: 'swarm.key',
      allow: [PEER],
      allowFile: 'allowed.txt',
      api: { host: '0.0.0.0', port: 0, explicit: true },
      apiToken: 's3cret',
      onAlert: 'notify alert',
      onRecovered: 'notify ok',
      onLeft: 'notify left',
      hookTimeoutMs: 2000,
      alertLog: 'events.jsonl',
      localHealth: false,
      peerStateBudgetBytes: 64 * 2 ** 20,
      minConnections: 0,
      peersFile: join(dir, 'peers.json')
    })
  })

  it('takes flags over env over config file over defaults', async () => {
    const file = await configFile('precedence.json', { interval: '2s', ttl: '10s', window: 7, topic: 'from-file', tag: { a: '1' }, json: true, retention: '5m' })
    const env = { PEERMON_CONFIG: file, PEERMON_TTL: '20s', PEERMON_WINDOW: '8', PEERMON_TAG: 'b=2, c=3', PEERMON_JSON: 'false' }
    const config = await loadDaemonConfig(['--window', '9'], env)
    assert.equal(config.windowSize, 9, 'flag beats env and file')
    assert.equal(config.ttlMs, 20_000, 'env beats file')
    assert.deepEqual(config.tags, { b: '2', c: '3' }, 'a repeatable option is replaced, not merged, by a higher layer')
    assert.equal(config.json, false, 'env false beats file true')
    assert.equal(config.intervalMs, 2000, 'file beats default')
    assert.equal(config.topic, 'from-file')
    assert.equal(config.retentionMs, 300_000)
    assert.deepEqual(config.listen, DAEMON_DEFAULTS.listen, 'default when no layer sets it')
  })

  it('reads the config file named by --config over PEERMON_CONFIG', async () => {
    const byFlag = await configFile('flag.json', { topic: 'flag-file' })
    const byEnv = await configFile('env.json', { topic: 'env-file' })
    assert.equal((await loadDaemonConfig(['--config', byFlag], { PEERMON_CONFIG: byEnv })).topic, 'flag-file')
    assert.equal((await loadDaemonConfig([], { PEERMON_CONFIG: byEnv })).topic, 'env-file')
  })

  it('reads every env variable; comma-separated repeatables; empty means unset', async () => {
    const config = await loadDaemonConfig([], {
      PEERMON_LISTEN: '/ip4/127.0.0.1/tcp/1,/ip4/127.0.0.1/tcp/2',
      PEERMON_BOOTSTRAP: BOOT,
      PEERMON_INTERVAL: '500ms',
      PEERMON_TTL: '2s',
      PEERMON_WINDOW: '3',
      PEERMON_TOPIC: 'env-topic',
      PEERMON_KEY: '/var/lib/peermon/key',
      PEERMON_TAG: 'zone=a',
      PEERMON_JSON: '1',
      PEERMON_RETENTION: '2s',
      PEERMON_DATA_DIR: dir,
      PEERMON_MIN_CONNECTIONS: '12',
      PEERMON_CONFIG: ''
    })
    assert.equal(config.minConnections, 12)
    assert.equal(config.peersFile, join(dir, 'peers.json'), 'known peers are remembered where the data directory is')
    assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    assert.deepEqual(config.bootstrap, [BOOT])
    assert.deepEqual([config.intervalMs, config.ttlMs, config.windowSize, config.retentionMs], [500, 2000, 3, 2000])
    assert.deepEqual([config.topic, config.keyFile, config.json, config.dataDir], ['env-topic', '/var/lib/peermon/key', true, dir])
    assert.deepEqual(config.tags, { zone: 'a' })
  })

  it('reads every config file key; tags as object or array; paths relative to the file', async () => {
    const file = await configFile('all.json', {
      listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [BOOT], interval: '200ms', ttl: '1s', window: 4, topic: 't',
      key: 'keys/id.key', tag: ['x=1'], json: true, retention: '1s', dataDir: '.', psk: 'swarm.key', api: 'off', alertLog: 'log/events.jsonl', localHealth: false, peerStateBudget: '1GiB', minConnections: 3
    })
    const config = await loadDaemonConfig(['--config', file], {})
    assert.deepEqual(config, {
      listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [BOOT], intervalMs: 200, ttlMs: 1000, windowSize: 4, topic: 't',
      keyFile: join(dir, 'keys/id.key'), allowInsecureKey: false, tags: { x: '1' }, json: true, retentionMs: 1000, dataDir: dir,
      pskFile: join(dir, 'swarm.key'), alertLog: join(dir, 'log/events.jsonl'), allow: [], hookTimeoutMs: 10_000, localHealth: false, peerStateBudgetBytes: 2 ** 30, minConnections: 3, peersFile: join(dir, 'peers.json')
    })
  })

  it('takes bootstrap addresses without a peer id and DNS names, the forms an orchestrator gives', async () => {
    const forms = ['/ip4/10.0.0.1/tcp/4011', '/ip6/fd00::1/tcp/4011', '/dns4/seed/tcp/4011', '/dns/peermon.default.svc.cluster.local/tcp/4011', `/dns6/seed/tcp/4011/p2p/${PEER}`, BOOT]
    const config = await loadDaemonConfig([], { PEERMON_BOOTSTRAP: forms.join(',') })
    assert.deepEqual(config.bootstrap, forms)
  })

  it('reads the API token from a file (a mounted secret), never both ways, and never prints it', async () => {
    const tokenFile = await configFile('token', '  s3cret-from-a-file\n')
    const config = await loadDaemonConfig(['--api', '0.0.0.0:5011'], { PEERMON_API_TOKEN_FILE: tokenFile })
    assert.equal(config.apiToken, 's3cret-from-a-file')
    await rejectsWith(['--api-token-file', tokenFile], { PEERMON_API_TOKEN: 'other' }, '--api-token-file: give the API token once, not also with PEERMON_API_TOKEN')
    await rejectsWith(['--api-token-file', join(dir, 'missing')], {}, `--api-token-file: cannot read ${join(dir, 'missing')}: no such file or directory`)
    const empty = await configFile('empty-token', '\n')
    await rejectsWith([], { PEERMON_API_TOKEN_FILE: empty }, `PEERMON_API_TOKEN_FILE: ${empty} is empty; expected a token`)
    const big = await configFile('big-token', 'x'.repeat(5000))
    await assert.rejects(loadDaemonConfig(['--api-token-file', big], {}), (err: Error) => !err.message.includes('xxxx'))
  })

  it('refuses an API on a non-loopback address without a token, and bad API, allow and hook values', async () => {
    await rejectsWith(['--api', '0.0.0.0:5011'], {}, '--api: 0.0.0.0 is not a loopback address; serving the API there requires --api-token')
    await rejectsWith(['--api', 'localhost'], {}, '--api: expected host:port')
    await rejectsWith(['--api', '127.0.0.1:70000'], {}, '--api: expected host:port')
    await rejectsWith(['--allow', 'not-a-peer'], {}, '--allow: expected a peer id')
    await rejectsWith(['--hook-timeout', 'soon'], {}, '--hook-timeout: expected a duration')
    await rejectsWith([], { PEERMON_LOCAL_HEALTH: 'maybe' }, 'PEERMON_LOCAL_HEALTH: expected on or off, got "maybe"')
    await rejectsWith(['--peer-state-budget', 'lots'], {}, '--peer-state-budget: expected a size from 1MiB to 64GiB like 256MiB or 1GiB, got "lots"')
    await rejectsWith(['--peer-state-budget', '100KiB'], {}, '--peer-state-budget: expected a size from 1MiB to 64GiB')
    await rejectsWith([], { PEERMON_PEER_STATE_BUDGET: '1TiB' }, 'PEERMON_PEER_STATE_BUDGET: expected a size')
    await rejectsWith(['--min-connections', '301'], {}, '--min-connections: expected a whole number from 0 to 300')
    await rejectsWith([], { PEERMON_MIN_CONNECTIONS: 'many' }, 'PEERMON_MIN_CONNECTIONS: expected a whole number')
    assert.equal((await loadDaemonConfig([], { PEERMON_PEER_STATE_BUDGET: '1.5GiB' })).peerStateBudgetBytes, 1.5 * 2 ** 30)
    assert.deepEqual((await loadDaemonConfig(['--api', ':0'], {})).api, { host: '127.0.0.1', port: 0, explicit: true })
    assert.deepEqual((await loadDaemonConfig(['--api', '[::1]:80'], {})).api, { host: '::1', port: 80, explicit: true })
  })

  it('marks the API address explicit when a flag, the environment or the config file sets it, even to the default', async () => {
    const file = await configFile('api.json', { api: '127.0.0.1:5011' })
    assert.deepEqual((await loadDaemonConfig(['--api', '127.0.0.1:5011'], {})).api, { host: '127.0.0.1', port: 5011, explicit: true })
    assert.deepEqual((await loadDaemonConfig([], { PEERMON_API: '127.0.0.1:5011' })).api, { host: '127.0.0.1', port: 5011, explicit: true })
    assert.deepEqual((await loadDaemonConfig(['--config', file], {})).api, { host: '127.0.0.1', port: 5011, explicit: true })
    assert.deepEqual((await loadDaemonConfig([], { PEERMON_API: '' })).api, { host: '127.0.0.1', port: 5011, explicit: false }, 'an empty variable is unset')
  })

  it('keeps a tag key that looks like __proto__ as a plain tag', async () => {
    assert.deepEqual(Object.entries((await loadDaemonConfig(['--tag', '__proto__=x'], {})).tags), [['__proto__', 'x']])
  })
})

describe('loadDaemonConfig errors name the flag and the accepted form', () => {
  const cases: Array<[string, string[], string, RegExp?]> = [
    ['unknown flag', ['--intervall', '1s'], 'unknown option --intervall'],
    ['unknown short flag', ['-x'], 'unknown option -x'],
    ['stray positional', ['start'], 'unexpected argument "start"'],
    ['missing value', ['--interval'], '--interval: expected a value <duration>'],
    ['flag as value', ['--interval', '--json'], '--interval: expected a value'],
    ['value for a switch', ['--json=yes'], '--json: takes no value'],
    ['repeated single flag', ['--topic', 'a', '--topic', 'b'], '--topic: given more than once'],
    ['bad listen', ['--listen', '0.0.0.0:4011'], '--listen: expected a multiaddr like /ip4/0.0.0.0/tcp/4011, got "0.0.0.0:4011"'],
    ['bad listen ip', ['--listen', '/ip4/999.0.0.1/tcp/1'], '--listen: expected a multiaddr'],
    ['bootstrap without peer id over another transport', ['--bootstrap', '/ip4/10.0.0.1/tcp/4011/ws'], '--bootstrap: expected /ip4/<ip>/tcp/<port>, /dns4/<name>/tcp/<port> (every address the name has), either with /p2p/<peer id>, or any multiaddr ending in /p2p/<peer id>, got "/ip4/10.0.0.1/tcp/4011/ws"'],
    ['bootstrap name over udp', ['--bootstrap', '/dns4/seed/udp/4011'], '--bootstrap: expected /ip4/<ip>/tcp/<port>, /dns4/<name>/tcp/<port>'],
    ['bootstrap name with more after tcp', ['--bootstrap', `/dns4/seed/tcp/4011/ws/p2p/${PEER}`], '--bootstrap: expected /ip4/<ip>/tcp/<port>, /dns4/<name>/tcp/<port>'],
    ['bootstrap without a port', ['--bootstrap', '/dns4/seed'], '--bootstrap: expected /ip4/<ip>/tcp/<port>'],
    ['bootstrap with bad peer id', ['--bootstrap', '/ip4/10.0.0.1/tcp/4011/p2p/12D3KooWabc'], '--bootstrap:', /peer id/],
    ['bootstrap with undecodable peer id', ['--bootstrap', '/ip4/10.0.0.1/tcp/4011/p2p/xyz'], '--bootstrap: expected a multiaddr like /ip4/10.0.0.1/tcp/4011/p2p/12D3KooW..., got "/ip4/10.0.0.1/tcp/4011/p2p/xyz"'],
    ['listen with undecodable peer id', ['--listen', '/ip4/127.0.0.1/tcp/0/p2p/xyz'], '--listen: expected a multiaddr like'],
    ['bad interval', ['--interval', 'fast'], '--interval: expected a duration like 250ms, 2s or 1m, got "fast"'],
    ['bare number interval', ['--interval', '1000'], '--interval: expected a duration like 250ms'],
    ['interval too short', ['--interval', '50ms'], '--interval: expected a duration from 100ms to 1h, got "50ms"'],
    ['interval too long', ['--interval', '2h', '--ttl', '3h'], '--interval: expected a duration from 100ms to 1h'],
    ['ttl not 1.5 intervals', ['--interval', '2s', '--ttl', '2.9s'], '--ttl: must be at least 1.5 times the interval (2s), got 2.9s'],
    ['ttl of one interval', ['--ttl', '2s', '--interval', '2s'], '--ttl: must be at least 1.5 times the interval (2s), got 2s'],
    ['ttl too long', ['--ttl', '25h'], '--ttl: expected a duration from 1ms to 24h'],
    ['bad ttl', ['--ttl', '3'], '--ttl: expected a duration'],
    ['window zero', ['--window', '0'], '--window: expected a whole number from 1 to 1000, got "0"'],
    ['window too big', ['--window', '1001'], '--window: expected a whole number from 1 to 1000'],
    ['window fraction', ['--window', '2.5'], '--window: expected a whole number'],
    ['empty topic', ['--topic='], '--topic: expected 1 to 256 printable characters'],
    ['long topic', ['--topic', 'x'.repeat(257)], '--topic: expected 1 to 256 printable characters'],
    ['control char topic', ['--topic', 'a\tb'], '--topic: expected 1 to 256 printable characters'],
    ['tag without =', ['--tag', 'zone'], '--tag: expected key=value', /got "zone"/],
    ['tag bad key', ['--tag', 'zo ne=a'], '--tag: expected key=value with a key of 1 to 32'],
    ['tag long key', ['--tag', `${'k'.repeat(33)}=a`], '--tag: expected key=value'],
    ['tag long value', ['--tag', `k=${'v'.repeat(201)}`], '--tag: tag "k" value is longer than 200 characters'],
    ['tag twice', ['--tag', 'k=1', '--tag', 'k=2'], '--tag: tag "k" given more than once'],
    ['retention below ttl', ['--ttl', '5s', '--retention', '4s'], '--retention: must be at least the ttl (5s), got 4s'],
    ['retention below the ttl that follows the interval', ['--interval', '1h', '--retention', '1h'], '--retention: must be at least the ttl (3h), got 1h'],
    ['retention too long', ['--retention', '8d'], '--retention: expected a duration'],
    ['missing data dir', ['--data-dir', '/nonexistent/peermon'], '--data-dir: cannot use directory "/nonexistent/peermon": no such file or directory'],
    ['missing config file', ['--config', '/nonexistent/peermon.json'], '--config: cannot read config file "/nonexistent/peermon.json": no such file or directory']
  ]
  for (const [name, argv, prefix, pattern] of cases) {
    it(name, async () => { await rejectsWith(argv, {}, prefix, pattern) })
  }

  it('a data dir that is a file', async () => {
    const file = await configFile('not-a-dir', '')
    await rejectsWith(['--data-dir', file], {}, '--data-dir:', /is not a directory/)
  })

  it('names the env variable when the bad value came from there', async () => {
    await rejectsWith([], { PEERMON_INTERVAL: 'fast' }, 'PEERMON_INTERVAL: expected a duration like 250ms, 2s or 1m, got "fast"')
    await rejectsWith([], { PEERMON_JSON: 'yes' }, 'PEERMON_JSON: expected 1, true, 0 or false, got "yes"')
    await rejectsWith([], { PEERMON_BOOTSTRAP: `${BOOT},/ip4/1.2.3.4/udp/1` }, 'PEERMON_BOOTSTRAP: expected /ip4/<ip>/tcp/<port>')
    await rejectsWith([], { PEERMON_TAG: 'a=1,b' }, 'PEERMON_TAG: expected key=value')
    await rejectsWith([], { PEERMON_TTL: '1s', PEERMON_INTERVAL: '1s' }, 'PEERMON_TTL: must be at least 1.5 times the interval (1s), got 1s')
  })

  it('the benchmarks\' instrumentation variables: bad values are operator errors too', async () => {
    await rejectsWith([], { PEERMON_GOSSIPSUB: '{D:4}' }, 'PEERMON_GOSSIPSUB: expected "stock" or a JSON object of gossipsub options')
    await rejectsWith([], { PEERMON_GOSSIPSUB: '{"batchForwardingMs":"soon"}' }, 'PEERMON_GOSSIPSUB: batchForwardingMs must be a number')
    await rejectsWith([], { PEERMON_TRACE: join(dir, 'missing', 'trace-%p.log') }, 'PEERMON_TRACE: cannot use directory')
    const config = await loadDaemonConfig([], { PEERMON_TRACE: join(dir, 'trace-%p.log'), PEERMON_GOSSIPSUB: '{"D":4,"batchForwardingMs":0}' })
    assert.deepEqual(config.instrumentation, { tracePath: join(dir, 'trace-%p.log'), gossip: { gossipsub: { D: 4 }, batchForwardingMs: 0 } })
    assert.equal((await loadDaemonConfig([], {})).instrumentation, undefined)
  })

  it('without a TTL, the TTL is 3 intervals, from a flag, the environment or the config file', async () => {
    const byFlag = await loadDaemonConfig(['--interval', '5s'], {})
    assert.deepEqual([byFlag.intervalMs, byFlag.ttlMs, byFlag.retentionMs], [5000, 15_000, 600_000], 'a 5 s interval alone runs, with a 15 s TTL')
    assert.equal((await loadDaemonConfig([], { PEERMON_INTERVAL: '2s' })).ttlMs, 6000)
    const file = await configFile('interval-only.json', { interval: '500ms' })
    assert.equal((await loadDaemonConfig(['--config', file], {})).ttlMs, 1500)
    assert.equal((await loadDaemonConfig(['--interval', '2s', '--ttl', '3s'], {})).ttlMs, 3000, 'an explicit TTL is kept')
  })

  it('without a retention, the retention covers the TTL, even for the longest interval', async () => {
    const longest = await loadDaemonConfig(['--interval', '1h'], {})
    assert.deepEqual([longest.ttlMs, longest.retentionMs], [3 * 3_600_000, 3 * 3_600_000])
    const longTtl = await loadDaemonConfig(['--ttl', '11m'], {})
    assert.deepEqual([longTtl.ttlMs, longTtl.retentionMs], [660_000, 660_000])
  })

  it('a flag that fixes an env value wins before validation', async () => {
    assert.equal((await loadDaemonConfig(['--interval', '2s'], { PEERMON_INTERVAL: 'fast' })).intervalMs, 2000)
  })

  it('names the config file key: unknown keys, wrong types, bad values, bad JSON', async () => {
    const unknown = await configFile('unknown.json', { interval: '1s', intervall: '2s' })
    await rejectsWith(['--config', unknown], {}, `config file "${unknown}": unknown key "intervall" (known keys: listen, bootstrap, interval,`)
    const notAllowed = await configFile('insecure.json', { allowInsecureKey: true })
    await rejectsWith(['--config', notAllowed], {}, `config file "${notAllowed}": unknown key "allowInsecureKey"`)
    const number = await configFile('number.json', { interval: 1000 })
    await rejectsWith(['--config', number], {}, `config key "interval" in "${number}": expected a <duration> string, got 1000`)
    const bad = await configFile('bad.json', { ttl: 'soon' })
    await rejectsWith(['--config', bad], {}, `config key "ttl" in "${bad}": expected a duration like 250ms, 2s or 1m, got "soon"`)
    const list = await configFile('list.json', { listen: [4011] })
    await rejectsWith(['--config', list], {}, `config key "listen" in "${list}": expected an array of <multiaddr> strings`)
    const tag = await configFile('tag.json', { tag: { zone: 1 } })
    await rejectsWith(['--config', tag], {}, `config key "tag" in "${tag}": tag "zone" must be a string, got 1`)
    const json = await configFile('json.json', { json: 'true' })
    await rejectsWith(['--config', json], {}, `config key "json" in "${json}": expected true or false, got "true"`)
    const broken = await configFile('broken.json', '{"interval": "1s",')
    await rejectsWith(['--config', broken], {}, `config file "${broken}": invalid JSON`)
    const array = await configFile('array.json', ['--interval', '1s'])
    await rejectsWith(['--config', array], {}, `config file "${array}": expected a JSON object`)
  })
})

describe('daemon help', () => {
  it('is generated from the option table and shows every flag, default and env variable', () => {
    const help = daemonHelp()
    for (const option of DAEMON_OPTIONS) {
      assert.ok(help.includes(`--${option.name}`), option.name)
      if (option.env !== undefined) assert.ok(help.includes(option.env), option.env)
    }
    assert.match(help, /--interval <duration>.*\n.*default: 1s; env: PEERMON_INTERVAL/)
    assert.match(help, /default: \/ip4\/0\.0\.0\.0\/tcp\/4011/)
    assert.match(help, /default: 10m, or the ttl if longer/)
    assert.match(help, /--ttl <duration>.*\n.*default: 3 x interval, so 3s at 1s; env: PEERMON_TTL/)
    assert.match(help, /-h, --help/)
  })

  it('is asked for with -h or --help before --', () => {
    assert.equal(wantsHelp(['--interval', '1s', '--help']), true)
    assert.equal(wantsHelp(['-h']), true)
    assert.equal(wantsHelp(['--', '--help']), false)
    assert.equal(wantsHelp(['--json']), false)
  })
})
