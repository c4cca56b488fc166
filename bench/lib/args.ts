/** The flags every benchmark takes. */
import { parseArgs } from 'node:util'

export interface BenchArgs {
  /** The full sizes and durations (docs/benchmarks.md), instead of the quick ones. */
  full: boolean
  /** Print one JSON object with every result after the tables. */
  json: boolean
  /** Write the JSON result to this file. */
  out?: string
  /** Explicit sizes, e.g. `--nodes 10,50`, overriding the defaults of the mode. */
  nodes?: number[]
  /** Measurement window in seconds, overriding the mode's. */
  seconds?: number
  /** Report interval of the daemons in seconds (benchmarks with swarms; default 1). */
  interval?: number
  /** Seed of the swarm's topology (default 1, so runs compare like with like). */
  seed: number
  /** Anything else the benchmark understands (`--gossipsub stock`, ...). */
  rest: Record<string, string | boolean | undefined>
}

export function parseBenchArgs (argv: string[] = process.argv.slice(2)): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      full: { type: 'boolean' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      nodes: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string' },
      // Understood by some benchmarks only; declared so their values are not read as positionals.
      gossipsub: { type: 'string' },
      'exec-argv': { type: 'string' },
      top: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string' }
    }
  })
  const nodes = typeof values.nodes === 'string' ? values.nodes.split(',').map(Number) : undefined
  if (nodes?.some((n) => !Number.isInteger(n) || n < 2) === true) fail('--nodes: expected sizes like 10,50 (each >= 2)')
  const seconds = typeof values.seconds === 'string' ? Number(values.seconds) : undefined
  if (seconds !== undefined && !(seconds > 0)) fail('--seconds: expected a positive number')
  const interval = typeof values.interval === 'string' ? Number(values.interval) : undefined
  if (interval !== undefined && !(interval >= 0.1)) fail('--interval: expected seconds (>= 0.1)')
  return {
    full: values.full === true,
    json: values.json === true,
    out: typeof values.out === 'string' ? values.out : undefined,
    nodes,
    seconds,
    interval,
    seed: typeof values.seed === 'string' ? Number(values.seed) : 1,
    rest: values as Record<string, string | boolean | undefined>
  }
}

function fail (message: string): never {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(2)
}
