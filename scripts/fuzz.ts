/**
 * A long fuzz campaign of the report decoder and the monitor core: the
 * generators and properties of test/unit/fuzz.test.ts, for as many inputs as
 * asked, on several worker threads.
 *
 *   npm run fuzz -- --inputs 10000000 --workers 2 --seed 42
 *   npm run fuzz -- --reproduce fuzz-crashes/crash-42-17.json
 *
 * What it checks, on every input (test/helpers/fuzz-check.ts): decodeReport
 * never throws and names a known reason for each drop, agreeing with an oracle
 * written from the documented limits; MonitorCore.handleMessage never throws;
 * an accepted report is within every limit, from its own signer, later than
 * that peer's last accepted one (also after the core forgot it) and within the
 * rate limit; the counters add up; peers, names and windows stay within their
 * bounds. Each batch goes to a fresh core; every input also goes to one core
 * per worker that lives the whole campaign, whose state (peers, names per
 * peer, window lengths, pending timers, forgotten peers remembered) must stay
 * within its bounds, and the worker's heap is watched for growth.
 *
 * The campaign runs in chunks of CHUNK_RUNS batches with seeds seed, seed+1, ...
 * (chunk k on worker k mod workers), so a run is reproducible from its seed.
 * A failure saves fast-check's shrunk counterexample (the batch of messages,
 * bytes in base64) with its seed and path to `--crashes <dir>` (default
 * fuzz-crashes), prints how to replay it, and the campaign exits 1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import fc from 'fast-check'
import { ConfigError } from '../src/config-error.js'
import { parseFlags, wantsHelp, wholeNumberValue } from '../src/flags.js'
import { MonitorCore } from '../src/monitor/monitor.js'
import { Report as WireReport } from '../src/monitor/pb/report.js'
import { REPLAY_MEMORY_ENTRY_BYTES } from '../src/monitor/replay-memory.js'
import { FakeClock } from '../test/helpers/fake-clock.js'
import { FUZZ_CORE, checkBatch } from '../test/helpers/fuzz-check.js'
import { SELF, fuzzBatch } from '../test/helpers/report-inputs.js'
import type { FuzzInput, InputFamily } from '../test/helpers/report-inputs.js'

const USAGE = 'usage: fuzz [--inputs <n, e.g. 10000000>] [--workers <n>] [--seed <integer>] [--crashes <dir>] | --reproduce <crash file>'
const CHUNK_RUNS = 1_000
const MAX_CHUNKS = 40
const PROGRESS_MS = 10_000
/** A worker silent this long is reported as stalled (a hang in the code under test). */
const STALL_MS = 180_000
/** Heap a worker may use before the campaign calls it growth (each batch's core is dropped after it). */
const HEAP_BOUND = 512 * 2 ** 20

interface Flags { inputs: number, workers: number, seed: number, crashes: string, reproduce?: string }

/** The campaign's flags, read the CLI's way (src/flags.ts); `_` may group digits, e.g. 10_000_000. */
function parseFuzzFlags (argv: string[]): Flags {
  if (wantsHelp(argv)) {
    console.log(USAGE)
    process.exit(0)
  }
  const { values } = parseFlags(argv, {
    inputs: { value: '<n>' },
    runs: { value: '<n>' },
    workers: { value: '<n>' },
    seed: { value: '<integer>' },
    crashes: { value: '<dir>' },
    reproduce: { value: '<file>' },
    help: { short: 'h' }
  }, { help: 'npm run fuzz -- --help' })
  const number = (flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number => wholeNumberValue(flag, text.replaceAll('_', ''), min, max)
  if (values.inputs !== undefined && values.runs !== undefined) throw new ConfigError('--runs: the old spelling of --inputs; give one of them')
  const inputs = values.inputs ?? values.runs
  return {
    inputs: inputs === undefined ? 1_000_000 : number(values.inputs !== undefined ? '--inputs' : '--runs', inputs, 1),
    workers: values.workers === undefined ? 1 : number('--workers', values.workers, 1, 64),
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : number('--seed', values.seed, 0, 2 ** 31 - 1),
    crashes: values.crashes ?? 'fuzz-crashes',
    ...(values.reproduce !== undefined ? { reproduce: values.reproduce } : {})
  }
}

/** What a worker has done so far (sent with each progress message). */
interface Tally {
  inputs: number
  batches: number
  accepted: number
  refusedMetrics: number
  families: Record<InputFamily, number>
  dropped: Record<string, number>
  /** Largest heap the worker saw, bytes. */
  maxHeap: number
  /** The long-lived core at the last check: peers, pending timers, forgotten peers remembered. */
  longLived: { peers: number, timers: number, remembered: number, rememberedBytes: number }
}

interface Failure { chunkSeed: number, worker: number, error: string, file?: string, counterexample?: unknown, path?: string }

type WorkerMessage = { type: 'progress', tally: Tally } | { type: 'done', tally: Tally } | { type: 'failure', tally: Tally, failure: Failure }

function emptyTally (): Tally {
  return { inputs: 0, batches: 0, accepted: 0, refusedMetrics: 0, families: { random: 0, truncated: 0, flipped: 0, structured: 0 }, dropped: {}, maxHeap: 0, longLived: { peers: 0, timers: 0, remembered: 0, rememberedBytes: 0 } }
}

/**
 * One core that sees every input of a worker, on a clock that moves with the
 * inputs: its state must stay within the bounds whatever it was fed. A
 * structured report's peer gets the batch's number (`b.17`), so that the core
 * keeps meeting new peers (otherwise, after the first batches, the small seqs
 * of the generators would all be replays) and fills its bounds: peers, and
 * the replay memory of forgotten peers.
 */
class LongLivedCore {
  private readonly clock = new FakeClock()
  private readonly core = new MonitorCore({ self: SELF, clock: this.clock, onEvent: () => {}, ...FUZZ_CORE })

  feed (input: FuzzInput, batch: number): void {
    this.clock.advance(input.advanceMs)
    const wire = input.wire
    if (wire !== undefined && wire.peer === input.from && input.from !== SELF && wire.peer.length <= 100) {
      const peer = `${wire.peer}.${batch}`
      this.core.handleMessage(peer, WireReport.encode({ ...wire, peer }))
    } else {
      this.core.handleMessage(input.from, input.bytes)
    }
  }

  /** Throws when its state exceeds a bound. */
  check (): Tally['longLived'] {
    const peers = this.core.peers()
    const { maxPeers, maxNamesPerPeer, windowSize } = FUZZ_CORE as Required<typeof FUZZ_CORE>
    if (peers.length > maxPeers) throw new Error(`long-lived core: ${peers.length} peers, bound ${maxPeers}`)
    for (const summary of peers) {
      const windows = Object.values(this.core.peer(summary.peer)?.windows ?? {})
      if (windows.length > maxNamesPerPeer) throw new Error(`long-lived core: ${windows.length} names of ${summary.peer}`)
      for (const w of windows) if (w.length > windowSize) throw new Error(`long-lived core: a window of ${w.length}`)
    }
    // A metric deadline per (peer, name), a forget deadline per peer, flap detection's and local health's: a few more.
    const timerBound = maxPeers * (maxNamesPerPeer + 1) + 8
    if (this.clock.pending > timerBound) throw new Error(`long-lived core: ${this.clock.pending} pending timers, bound ${timerBound}`)
    const memory = this.core.replayMemory
    if (memory.size > memory.capacity) throw new Error(`long-lived core: remembers ${memory.size} forgotten peers, capacity ${memory.capacity}`)
    if (memory.bytes > memory.capacity * REPLAY_MEMORY_ENTRY_BYTES) throw new Error(`long-lived core: replay memory of ${memory.bytes} bytes`)
    return { peers: peers.length, timers: this.clock.pending, remembered: memory.size, rememberedBytes: memory.bytes }
  }
}

/** A worker: chunks worker, worker + workers, ... until its share of inputs is done. */
function runWorker (data: { seed: number, worker: number, workers: number, inputs: number }): void {
  const post = (message: WorkerMessage): void => { parentPort?.postMessage(message) }
  const tally = emptyTally()
  const longLived = new LongLivedCore()
  let reportedAt = performance.now()
  for (let k = 0; tally.inputs < data.inputs; k++) {
    const chunkSeed = data.seed + data.worker + k * data.workers
    const perBatch = tally.batches === 0 ? 30 : tally.inputs / tally.batches
    const numRuns = Math.max(1, Math.min(CHUNK_RUNS, Math.ceil((data.inputs - tally.inputs) / perBatch)))
    const details = fc.check(fc.property(fuzzBatch(MAX_CHUNKS), (batch) => {
      const counters = checkBatch(batch)
      tally.batches++
      tally.inputs += batch.length
      for (const input of batch) {
        tally.families[input.family]++
        longLived.feed(input, tally.batches)
      }
      tally.accepted += counters.accepted
      tally.refusedMetrics += counters.refusedMetrics
      for (const [reason, n] of Object.entries(counters.dropped)) if (n > 0) tally.dropped[reason] = (tally.dropped[reason] ?? 0) + n
    }), { numRuns, seed: chunkSeed })
    let error: string | undefined
    if (details.failed) {
      error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
      post({ type: 'failure', tally, failure: { chunkSeed, worker: data.worker, error, counterexample: details.counterexample?.[0], path: details.counterexamplePath ?? undefined } })
      return
    }
    try {
      const now = longLived.check()
      tally.longLived = maxOf(tally.longLived, now)
    } catch (err) {
      post({ type: 'failure', tally, failure: { chunkSeed, worker: data.worker, error: err instanceof Error ? err.message : String(err) } })
      return
    }
    tally.maxHeap = Math.max(tally.maxHeap, process.memoryUsage().heapUsed)
    if (tally.maxHeap > HEAP_BOUND) {
      post({ type: 'failure', tally, failure: { chunkSeed, worker: data.worker, error: `heap ${mib(tally.maxHeap)} MiB, bound ${mib(HEAP_BOUND)} MiB: state kept across batches` } })
      return
    }
    if (performance.now() - reportedAt >= PROGRESS_MS / 2) {
      reportedAt = performance.now()
      post({ type: 'progress', tally })
    }
  }
  post({ type: 'done', tally })
}

/** A counterexample as JSON: bytes in base64, bigints (in the wire object) as strings with an `n`. */
function saveCrash (dir: string, failure: Failure): string {
  mkdirSync(dir, { recursive: true })
  const file = resolve(join(dir, `crash-${failure.chunkSeed}.json`))
  const json = JSON.stringify(failure, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') }
    if (typeof value === 'bigint') return `${value}n`
    return value
  }, 2)
  writeFileSync(file, json + '\n')
  return file
}

/** Runs a saved counterexample through the same checks; exits 1 when it still fails. */
function reproduce (file: string): void {
  const failure = JSON.parse(readFileSync(file, 'utf8'), (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && 'base64' in value) return new Uint8Array(Buffer.from(String(value.base64), 'base64'))
    if (typeof value === 'string' && /^\d+n$/.test(value)) return BigInt(value.slice(0, -1))
    return value
  }) as Failure
  if (!Array.isArray(failure.counterexample)) {
    console.error(`fuzz: ${file} holds no batch (${failure.error}); rerun its chunk: --seed ${failure.chunkSeed} --workers 1 --inputs 40000`)
    process.exit(2)
  }
  const batch = failure.counterexample as FuzzInput[]
  console.error(`fuzz: reproducing ${batch.length} messages of ${file} (chunk seed ${failure.chunkSeed})`)
  try {
    checkBatch(batch)
  } catch (err) {
    console.error(`fuzz: still fails: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    process.exit(1)
  }
  console.log('fuzz: passes now')
}

function maxOf (a: Tally['longLived'], b: Tally['longLived']): Tally['longLived'] {
  return { peers: Math.max(a.peers, b.peers), timers: Math.max(a.timers, b.timers), remembered: Math.max(a.remembered, b.remembered), rememberedBytes: Math.max(a.rememberedBytes, b.rememberedBytes) }
}

function mib (bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1)
}

function sum (tallies: Tally[]): Tally {
  const total = emptyTally()
  for (const t of tallies) {
    total.inputs += t.inputs
    total.batches += t.batches
    total.accepted += t.accepted
    total.refusedMetrics += t.refusedMetrics
    for (const f of Object.keys(total.families) as InputFamily[]) total.families[f] += t.families[f]
    for (const [reason, n] of Object.entries(t.dropped)) total.dropped[reason] = (total.dropped[reason] ?? 0) + n
    total.maxHeap = Math.max(total.maxHeap, t.maxHeap)
    total.longLived = maxOf(total.longLived, t.longLived)
  }
  return total
}

async function campaign (flags: Flags): Promise<void> {
  const { inputs, workers, seed } = flags
  const started = performance.now()
  console.error(`fuzz: ${inputs} inputs on ${workers} worker${workers === 1 ? '' : 's'}, seed ${seed}`)
  const tallies: Tally[] = Array.from({ length: workers }, emptyTally)
  const failures: Failure[] = []
  const heardAt: number[] = Array.from({ length: workers }, () => performance.now())
  const threads = Array.from({ length: workers }, (_, worker) => new Worker(new URL(import.meta.url), {
    workerData: { seed, worker, workers, inputs: Math.ceil(inputs / workers) }
  }))
  let tickedAt = performance.now()
  const progress = setInterval(() => {
    // This thread itself held up (a starved or stopped process)? Then the workers' silence says nothing.
    const late = performance.now() - tickedAt - PROGRESS_MS
    tickedAt = performance.now()
    if (late > PROGRESS_MS) {
      console.error(`fuzz: the campaign's own thread ran ${Math.round(late / 1000)} s late`)
      for (const w of heardAt.keys()) heardAt[w] = performance.now()
    }
    const total = sum(tallies)
    const seconds = (performance.now() - started) / 1_000
    const left = total.inputs > 0 ? (inputs - total.inputs) / (total.inputs / seconds) : NaN
    console.error(`fuzz: ${total.inputs} inputs (${(100 * total.inputs / inputs).toFixed(1)} %), ${Math.round(total.inputs / seconds)}/s, ` +
      `${Object.keys(total.dropped).length} drop reasons hit, heap ≤ ${mib(total.maxHeap)} MiB, batches per worker ${tallies.map((t) => t.batches).join('/')}` +
      `${Number.isFinite(left) ? `, ~${Math.round(left)} s left` : ''}`)
    for (const [w, at] of heardAt.entries()) {
      if (tallies[w].inputs < Math.ceil(inputs / workers) && performance.now() - at > STALL_MS && !failures.some(f => f.worker === w)) {
        failures.push({ chunkSeed: NaN, worker: w, error: `worker ${w} made no progress for ${STALL_MS / 1000} s (a hang?)` })
        void threads[w].terminate()
      }
    }
  }, PROGRESS_MS)
  await Promise.all(threads.map(async (thread, worker) => await new Promise<void>((resolveDone) => {
    thread.on('message', (message: WorkerMessage) => {
      heardAt[worker] = performance.now()
      tallies[worker] = message.tally
      if (message.type === 'failure') {
        const failure = { ...message.failure }
        failure.file = saveCrash(flags.crashes, failure)
        failures.push(failure)
        // One failure is enough: stop the others.
        for (const other of threads) if (other !== thread) void other.terminate()
      }
    })
    thread.on('error', (err) => {
      failures.push({ chunkSeed: NaN, worker, error: `worker crashed: ${err.stack ?? err.message}` })
    })
    thread.on('exit', () => { resolveDone() })
  })))
  clearInterval(progress)
  const total = sum(tallies)
  const seconds = (performance.now() - started) / 1_000
  const reasons = Object.entries(total.dropped).sort((a, b) => b[1] - a[1])
  const width = Math.max(...reasons.map(([r]) => r.length), 'refused metrics'.length)
  const lines = [
    `command     npm run fuzz -- --inputs ${inputs} --workers ${workers} --seed ${seed}`,
    `inputs      ${total.inputs} in ${total.batches} batches, ${seconds.toFixed(1)} s on ${workers} worker${workers === 1 ? '' : 's'}: ${Math.round(total.inputs / seconds)} inputs/s`,
    `families    ${Object.entries(total.families).map(([f, n]) => `${f} ${n}`).join(', ')}`,
    `accepted    ${total.accepted}`,
    `dropped     ${total.inputs - total.accepted}, ${reasons.length} distinct reasons:`,
    ...reasons.map(([reason, n]) => `  ${reason.padEnd(width)}  ${String(n).padStart(10)}`),
    `  ${'refused metrics'.padEnd(width)}  ${String(total.refusedMetrics).padStart(10)}  (names beyond maxNamesPerPeer in accepted reports)`,
    `long-lived  one core per worker fed every input; at the checks after each chunk at most ${total.longLived.peers} peers, ${total.longLived.timers} timers, ${total.longLived.remembered} forgotten peers remembered (${mib(total.longLived.rememberedBytes)} MiB)`,
    `heap        at most ${mib(total.maxHeap)} MiB used in a worker (bound ${mib(HEAP_BOUND)} MiB)`,
    `failures    ${failures.length === 0 ? 'none' : failures.length}`,
    ...failures.map((f) => `  worker ${f.worker}, chunk seed ${f.chunkSeed}: ${f.error.split('\n')[0]}${f.file !== undefined ? `\n  saved: ${f.file}\n  replay: npm run fuzz -- --reproduce ${f.file}` : ''}`)
  ]
  console.log(lines.join('\n'))
  if (failures.length > 0) process.exit(1)
}

if (isMainThread) {
  let flags: Flags
  try {
    flags = parseFuzzFlags(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`fuzz: ${err.message}\n${USAGE}`)
    process.exit(2)
  }
  if (flags.reproduce !== undefined) reproduce(flags.reproduce)
  else await campaign(flags)
} else {
  runWorker(workerData as { seed: number, worker: number, workers: number, inputs: number })
}
