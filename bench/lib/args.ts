/**
 * The benchmarks' flags, read the CLI's way (src/flags.ts): durations as `500ms`,
 * `2s`, `1m`; a mistake is one line naming the flag, exit code 2; `--help` prints
 * the benchmark's help. A bare number is still read as seconds, the form these
 * flags took before they took durations (`--interval 1`, `--seconds 60`).
 */
import { writeFileSync } from 'node:fs'
import { ConfigError } from '../../src/config-error.js'
import { durationValue, parseFlags, wantsHelp, wholeNumberValue, type FlagSpec } from '../../src/flags.js'

/** Every flag a benchmark may take; each benchmark lists the ones it does. */
const BENCH_FLAGS = {
  full: {},
  json: {},
  out: { value: '<file>' },
  nodes: { value: '<n,n,...>' },
  duration: { value: '<duration>' },
  seconds: { value: '<n>' },
  interval: { value: '<duration>' },
  ttl: { value: '<duration>' },
  warmup: { value: '<duration>' },
  seed: { value: '<n>' },
  gossipsub: { value: '<stock|json>' },
  'exec-argv': { value: '"<node flags>"' },
  top: { value: '<n>' },
  rounds: { value: '<n>' },
  peers: { value: '<n>' },
  clients: { value: '<n>' },
  path: { value: '<path>' },
  only: { value: '<name,...>' },
  pack: { value: '<1|auto|n,...>' },
  variants: { value: '<name,...>' },
  stall: { value: '<duration>' },
  rate: { value: '<n>' },
  bin: { value: '<peermon.js>' },
  members: { value: '<n>' },
  'churn-duration': { value: '<duration>' },
  help: { short: 'h' }
} as const satisfies Record<string, FlagSpec>

export type BenchFlag = keyof typeof BENCH_FLAGS

export interface Bench {
  /** Prefix of its stderr lines, e.g. `dissemination`. */
  name: string
  /** How it is run, e.g. `node dist/bench/dissemination.js`; messages point to its --help. */
  command: string
  /** Its `--help` text. */
  help: string
  /** The flags it takes (`--help` is always taken). */
  flags: readonly BenchFlag[]
  /** `--json <file>` writes the JSON result to the file (as `--out` does) instead of printing it. */
  jsonToFile?: boolean
}

export interface BenchArgs {
  /** The full sizes and durations (docs/benchmarks.md), instead of the quick ones. */
  full: boolean
  /** Print one JSON object with every result after the tables. */
  json: boolean
  /** Write the JSON result to this file. */
  out?: string
  /** Explicit sizes, e.g. `--nodes 10,50`, overriding the defaults of the mode. */
  nodes?: number[]
  /** Measurement window (ms), overriding the mode's: `--duration 1m` (or `--seconds 60`). */
  durationMs?: number
  /** Report interval of the daemons (ms; benchmarks with swarms; default 1 s). */
  intervalMs?: number
  /** Metric TTL of the daemons (ms; default: the benchmark's). */
  ttlMs?: number
  /** Warm-up before the measurement (ms). */
  warmupMs?: number
  /** Seed of the swarm's topology (default 1, so runs compare like with like). */
  seed: number
  /** `--gossipsub` as given; each benchmark reads its own forms. */
  gossipsub?: string
  /** `--exec-argv`, split at spaces: the daemons' Node.js flags. */
  execArgv?: string[]
  top?: number
  rounds?: number
  peers?: number
  clients?: number
  path?: string
  /** `--only a,b`: the names as given; the caller checks them. */
  only?: string[]
  /** `--pack 1,auto`: nodes per process of each run ('auto': the launcher's default packing). */
  pack?: Array<number | 'auto'>
  /** `--variants a,b`: the names as given; the caller checks them. */
  variants?: string[]
  /** `--stall 20s`: how long a whole-host stall lasts (ms). */
  stallMs?: number
  /** `--rate <n>`: events a second (the Sybil flood's reports). */
  rate?: number
  /** `--bin <path>`: another build's bin/peermon.js for the daemons (a before/after). */
  bin?: string
  /** `--members <n>`: cluster size (the Serf comparison). */
  members?: number
  /** `--churn-duration <duration>` (ms). */
  churnMs?: number
}

/** Writes `{ benchmark, results }` where `--out` and `--json` ask for it: the file pretty-printed, stdout on one line. */
export function writeResults (args: Pick<BenchArgs, 'out' | 'json'>, benchmark: string, results: unknown): void {
  const result = { benchmark, results }
  if (args.out !== undefined) writeFileSync(args.out, JSON.stringify(result, null, 2))
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n')
}

/** Reads a benchmark's flags. Throws ConfigError on a flag it does not take or a bad value. */
export function parseBenchArgs (bench: Bench, argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const specs: Partial<Record<BenchFlag, FlagSpec>> = Object.fromEntries([...bench.flags, 'help' as const].map((flag) => [flag, BENCH_FLAGS[flag]]))
  if (bench.jsonToFile === true && specs.json !== undefined) specs.json = { value: '<file>' }
  const { values } = parseFlags(argv, specs, { help: `${bench.command} --help` }) as { values: Partial<Record<BenchFlag, string | true>> }
  const text = (flag: BenchFlag): string | undefined => typeof values[flag] === 'string' ? values[flag] : undefined
  const whole = (flag: BenchFlag, min: number, max = 1_000_000): number | undefined => {
    const value = text(flag)
    return value === undefined ? undefined : wholeNumberValue(`--${flag}`, value, min, max)
  }
  const nodes = text('nodes')?.split(',').map((n) => wholeNumberValue('--nodes', n.trim(), 2, 100_000))
  if (text('duration') !== undefined && text('seconds') !== undefined) throw new ConfigError('--seconds: the old spelling of --duration; give one of them')
  const durationText = text('duration') ?? text('seconds')
  const durationFlag = text('duration') !== undefined ? '--duration' : '--seconds'
  const execArgv = text('exec-argv')?.split(/\s+/).filter((arg) => arg !== '')
  return {
    full: values.full === true,
    json: values.json === true,
    out: text('out') ?? (bench.jsonToFile === true ? text('json') : undefined),
    nodes,
    durationMs: durationText === undefined ? undefined : benchDuration(durationFlag, durationText, { min: 1 }),
    intervalMs: text('interval') === undefined ? undefined : benchDuration('--interval', text('interval') as string, { min: 100, max: 3_600_000 }),
    ttlMs: text('ttl') === undefined ? undefined : benchDuration('--ttl', text('ttl') as string, { min: 150, max: 3_600_000 }),
    warmupMs: text('warmup') === undefined ? undefined : benchDuration('--warmup', text('warmup') as string),
    seed: whole('seed', 0, 2 ** 32 - 1) ?? 1,
    gossipsub: text('gossipsub'),
    execArgv,
    top: whole('top', 1),
    rounds: whole('rounds', 1),
    peers: whole('peers', 1),
    clients: whole('clients', 1),
    path: text('path'),
    only: text('only')?.split(',').map((name) => name.trim()),
    pack: text('pack')?.split(',').map((p) => p.trim() === 'auto' ? 'auto' as const : wholeNumberValue('--pack', p.trim(), 1, 100_000)),
    variants: text('variants')?.split(',').map((name) => name.trim()),
    stallMs: text('stall') === undefined ? undefined : benchDuration('--stall', text('stall') as string, { min: 1 }),
    rate: whole('rate', 1),
    bin: text('bin'),
    members: whole('members', 2, 1000),
    churnMs: text('churn-duration') === undefined ? undefined : benchDuration('--churn-duration', text('churn-duration') as string, { min: 1000 })
  }
}

/** A duration like the CLI's, or a bare number of seconds (the benchmarks' older form). */
export function benchDuration (flag: string, text: string, bounds?: { min?: number, max?: number }): number {
  return durationValue(flag, /^\d+(\.\d+)?$/.test(text) ? `${text}s` : text, bounds)
}

/** `--gossipsub stock|<json>` of a swarm benchmark: gossipsub's own parameters, or overrides of peermon's. */
export function gossipsubOverrides (text: string | undefined): 'stock' | Record<string, unknown> | undefined {
  if (text === undefined || text === 'stock') return text
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`--gossipsub: expected stock or a JSON object of gossipsub options like '{"D":4}', got ${JSON.stringify(text)}`)
  }
  return value as Record<string, unknown>
}

/**
 * Runs a benchmark's main as a command: `--help` prints its help; a ConfigError
 * is one line on stderr and exit code 2; any other failure its stack and exit code 1.
 */
export function runBench (bench: Bench, main: (args: BenchArgs) => Promise<void>, argv: readonly string[] = process.argv.slice(2)): void {
  if (wantsHelp(argv)) {
    process.stdout.write(bench.help)
    return
  }
  const run = async (): Promise<void> => { await main(parseBenchArgs(bench, argv)) }
  run().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${bench.name}: ${err.message}\n`)
      process.exitCode = 2
    } else {
      process.stderr.write(`${bench.name}: ${err instanceof Error ? err.stack : String(err)}\n`)
      process.exitCode = 1
    }
  })
}

/** `--only a,b` checked against a benchmark's `names` (ConfigError naming the bad one); all of them without the flag. */
export function onlyOf<T extends string> (args: BenchArgs, names: readonly T[]): T[] {
  const only = args.only ?? [...names]
  for (const name of only) if (!(names as readonly string[]).includes(name)) throw new ConfigError(`--only: expected some of ${names.join(', ')}, got ${JSON.stringify(name)}`)
  return only as T[]
}
