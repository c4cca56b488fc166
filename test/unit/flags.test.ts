import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseBenchArgs, type Bench } from '../../bench/lib/args.js'
import { ConfigError } from '../../src/config-error.js'
import { choiceValue, durationValue, parseFlags, wholeNumberValue } from '../../src/flags.js'

const SPECS = { interval: { value: '<duration>' }, listen: { value: '<addr>', repeatable: true }, json: {}, help: { short: 'h' } } as const

/** Asserts `run` throws a one-line ConfigError matching `message`. */
function throwsConfigError (run: () => unknown, message: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.match(err.message, message)
    assert.ok(!err.message.includes('\n'), 'one line')
    return true
  })
}

describe('parseFlags', () => {
  it('reads values, inline values, repeats, switches, short aliases and positionals after --', () => {
    const { values, positionals } = parseFlags(['--interval', '2s', '--listen=a', '--listen', 'b', '--json', '-h', '--', '--x'], SPECS, { help: 'cmd --help', positionals: 1 })
    assert.deepEqual(values, { interval: '2s', listen: ['a', 'b'], json: true, help: true })
    assert.deepEqual(positionals, ['--x'])
  })

  it('rejects mistakes with one line naming the flag and its form', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /^unknown option --bogus \(see cmd --help\)$/],
      [['-x'], /^unknown option -x /],
      [['extra'], /^unexpected argument "extra" \(see cmd --help\)$/],
      [['--interval'], /^--interval: expected a value <duration>$/],
      [['--interval', '--json'], /^--interval: expected a value <duration>$/],
      [['--json=yes'], /^--json: takes no value, got "yes"$/],
      [['--interval', '1s', '--interval', '2s'], /^--interval: given more than once$/]
    ]
    for (const [argv, message] of cases) throwsConfigError(() => parseFlags(argv, SPECS, { help: 'cmd --help' }), message)
    assert.equal(parseFlags(['--interval=-1s'], SPECS, { help: 'cmd --help' }).values.interval, '-1s', 'an inline value may start with a dash')
  })
})

describe('flag value parsers', () => {
  it('reads durations the CLI way, within bounds', () => {
    assert.equal(durationValue('--interval', '500ms'), 500)
    assert.equal(durationValue('--interval', '1m30s', { min: 100, max: 3_600_000 }), 90_000)
    throwsConfigError(() => durationValue('--interval', '5'), /^--interval: expected a duration like 250ms, 2s or 1m, got "5"$/)
    throwsConfigError(() => durationValue('--interval', '50ms', { min: 100, max: 3_600_000 }), /^--interval: expected a duration from 100ms to 1h, got "50ms"$/)
    throwsConfigError(() => durationValue('--timeout', '0', { min: 1 }), /^--timeout: expected a duration of at least 1ms, got "0"$/)
  })

  it('reads whole numbers and choices', () => {
    assert.equal(wholeNumberValue('--nodes', '12', 1, 200), 12)
    for (const text of ['0', '201', '1.5', '-1', ' 3', '1e2']) throwsConfigError(() => wholeNumberValue('--nodes', text, 1, 200), /^--nodes: expected a whole number from 1 to 200, got /)
    assert.equal(choiceValue('--scenario', 'hang', ['crash', 'hang']), 'hang')
    throwsConfigError(() => choiceValue('--scenario', 'boom', ['crash', 'hang']), /^--scenario: expected one of crash, hang, got "boom"$/)
  })
})

describe('benchmark flags', () => {
  const bench: Bench = { name: 'demo', command: 'node dist/bench/demo.js', help: '', flags: ['nodes', 'duration', 'seconds', 'interval', 'warmup', 'seed'] }

  it('take durations like the CLI, and bare seconds as documented before', () => {
    const durations = parseBenchArgs(bench, ['--nodes', '10,50', '--duration', '1m', '--interval', '500ms', '--warmup', '2s'])
    assert.deepEqual([durations.nodes, durations.durationMs, durations.intervalMs, durations.warmupMs, durations.seed], [[10, 50], 60_000, 500, 2000, 1])
    const bare = parseBenchArgs(bench, ['--seconds', '60', '--interval', '1', '--warmup', '2'])
    assert.deepEqual([bare.durationMs, bare.intervalMs, bare.warmupMs], [60_000, 1000, 2000])
    assert.equal(parseBenchArgs(bench, ['--seconds', '30s']).durationMs, 30_000)
  })

  it('reject what the benchmark does not take, and bad values, in one line', () => {
    throwsConfigError(() => parseBenchArgs(bench, ['--top', '5']), /^unknown option --top \(see node dist\/bench\/demo\.js --help\)$/)
    throwsConfigError(() => parseBenchArgs(bench, ['--interval', 'fast']), /^--interval: expected a duration like 250ms/)
    throwsConfigError(() => parseBenchArgs(bench, ['--interval', '50ms']), /^--interval: expected a duration from 100ms to 1h/)
    throwsConfigError(() => parseBenchArgs(bench, ['--nodes', '10,x']), /^--nodes: expected a whole number/)
    throwsConfigError(() => parseBenchArgs(bench, ['--duration', '1m', '--seconds', '60']), /^--seconds: the old spelling of --duration/)
  })
})
