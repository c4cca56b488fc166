/**
 * A long fuzz campaign of the report decoder and the monitor core: the
 * generators and properties of test/unit/fuzz.test.ts, for as many inputs as
 * asked. Prints throughput and the drop counts by reason.
 *
 *   npm run fuzz -- --runs 5000000 [--seed 42]
 *   node --import ./dist/src/polyfills.js dist/scripts/fuzz.js --runs 5000000
 *
 * The campaign runs in chunks of CHUNK_RUNS batches with seeds seed, seed+1, ...;
 * a failure prints fast-check's counterexample, seed and path, and exits 1.
 */
import fc from 'fast-check'
import { ConfigError } from '../src/config-error.js'
import { parseFlags, wantsHelp, wholeNumberValue } from '../src/flags.js'
import { checkBatch } from '../test/helpers/fuzz-check.js'
import { fuzzBatch } from '../test/helpers/report-inputs.js'
import type { InputFamily } from '../test/helpers/report-inputs.js'

const USAGE = 'usage: fuzz [--runs <inputs, e.g. 5000000>] [--seed <integer>]'
const CHUNK_RUNS = 1_000
const MAX_CHUNKS = 40
const PROGRESS_MS = 5_000

/** `--runs` and `--seed`, read the CLI's way (src/flags.ts); `_` may group digits, e.g. 5_000_000. */
function parseFuzzFlags (argv: string[]): { runs: number, seed: number } {
  if (wantsHelp(argv)) {
    console.log(USAGE)
    process.exit(0)
  }
  const { values } = parseFlags(argv, { runs: { value: '<inputs>' }, seed: { value: '<integer>' }, help: { short: 'h' } }, { help: 'npm run fuzz -- --help' })
  const number = (flag: string, text: string, min: number): number => wholeNumberValue(flag, text.replaceAll('_', ''), min, Number.MAX_SAFE_INTEGER)
  return {
    runs: values.runs === undefined ? 1_000_000 : number('--runs', values.runs, 1),
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : number('--seed', values.seed, 0)
  }
}

/** Batches in the next chunk: CHUNK_RUNS, or fewer near the end, so the campaign stops close to the inputs asked for. */
function chunkRuns (inputsLeft: number, inputsPerBatch: number): number {
  return Math.max(1, Math.min(CHUNK_RUNS, Math.ceil(inputsLeft / inputsPerBatch)))
}

function main (): void {
  let flags: { runs: number, seed: number }
  try {
    flags = parseFuzzFlags(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`fuzz: ${err.message}\n${USAGE}`)
    process.exit(2)
  }
  const { runs, seed } = flags
  const families: Record<InputFamily, number> = { random: 0, truncated: 0, flipped: 0, structured: 0 }
  const dropped: Record<string, number> = {}
  let inputs = 0
  let accepted = 0
  let refusedMetrics = 0
  let batches = 0
  const started = performance.now()
  let reportedAt = started
  console.error(`fuzz: ${runs} inputs, seed ${seed}`)
  for (let chunk = 0; inputs < runs; chunk++) {
    try {
      fc.assert(fc.property(fuzzBatch(MAX_CHUNKS), (batch) => {
        const counters = checkBatch(batch)
        batches++
        inputs += batch.length
        for (const input of batch) families[input.family]++
        accepted += counters.accepted
        refusedMetrics += counters.refusedMetrics
        for (const [reason, n] of Object.entries(counters.dropped)) if (n > 0) dropped[reason] = (dropped[reason] ?? 0) + n
      }), { numRuns: chunkRuns(runs - inputs, batches === 0 ? 30 : inputs / batches), seed: seed + chunk })
    } catch (err) {
      console.error(`fuzz: property broken in chunk ${chunk} (seed ${seed + chunk}) after ${inputs} inputs`)
      console.error(err instanceof Error ? err.message : err)
      process.exit(1)
    }
    const now = performance.now()
    if (now - reportedAt >= PROGRESS_MS) {
      reportedAt = now
      console.error(`fuzz: ${inputs} inputs, ${Math.round(inputs / ((now - started) / 1_000))}/s`)
    }
  }
  const seconds = (performance.now() - started) / 1_000
  const reasons = Object.entries(dropped).sort((a, b) => b[1] - a[1])
  const width = Math.max(...reasons.map(([r]) => r.length), 'refused metrics'.length)
  const lines = [
    `inputs      ${inputs} in ${batches} batches, ${seconds.toFixed(1)} s: ${Math.round(inputs / seconds)} inputs/s (seed ${seed})`,
    `families    ${Object.entries(families).map(([f, n]) => `${f} ${n}`).join(', ')}`,
    `accepted    ${accepted}`,
    `dropped     ${inputs - accepted}, by reason:`,
    ...reasons.map(([reason, n]) => `  ${reason.padEnd(width)}  ${String(n).padStart(10)}`),
    `  ${'refused metrics'.padEnd(width)}  ${String(refusedMetrics).padStart(10)}  (names beyond maxNamesPerPeer in accepted reports)`,
    `heap        ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB used at the end`
  ]
  console.log(lines.join('\n'))
}

main()
