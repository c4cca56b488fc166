/**
 * `npm run bench`: every benchmark in turn, each printing its tables (never a
 * pass/fail). Quick sizes by default (a few minutes); `--full` for the sizes
 * of docs/benchmarks.md; `--out <dir>` also writes each result as JSON there,
 * which `npm run bench:docs` turns into docs/benchmarks.md.
 *
 *   npm run bench [-- --full] [-- --only store,dissemination] [-- --out bench-results] [-- --help]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { detectionTable, runDetection, type DetectionResult } from './detection.js'
import { FULL_RUNS, disseminationTable, runDissemination, type DisseminationResult } from './dissemination.js'
import { runBench, type Bench, type BenchArgs } from './lib/args.js'
import { describeMachine, machineLine } from './lib/machine.js'
import { peermonPids, waitForIdleCpu } from './lib/proc.js'
import { renderText } from './lib/table.js'
import { profileTables, runProfile } from './profile.js'
import { runStore, storeTable } from './store.js'
import { PACED_RATE, memoryTable, targetsTable, type SybilRow } from './lib/sybil-report.js'
import { runFlood } from './lib/sybil-flood.js'
import os from 'node:os'
import { choiceValue } from '../src/flags.js'

const ALL = ['store', 'dissemination', 'detection', 'profile', 'api', 'sybil'] as const
type Name = typeof ALL[number]

const BENCH: Bench = {
  name: 'bench',
  command: 'npm run bench --',
  flags: ['full', 'only', 'out'],
  help: `Usage: npm run bench [-- options]

Every benchmark in turn, each printing its tables (never a pass/fail). Quick
sizes by default (a few minutes).

Options:
  --full              the sizes and durations of docs/benchmarks.md (about an hour on 2 cores)
  --only <name,...>   only these: ${ALL.join(', ')}
  --out <dir>         also write each result as <dir>/<name>.json (npm run bench:docs reads them)
  -h, --help          show this help

Each benchmark also runs on its own, with flags to explore (durations: 500ms,
2s, 1m; a bare number is seconds):
  node --expose-gc dist/bench/store.js --help
  node dist/bench/dissemination.js --help
  node dist/bench/detection.js --help
  node dist/bench/profile.js --help
  node dist/bench/api.js --help    (npm run bench:api)
  node dist/bench/sybil.js --help
  node dist/bench/churn.js --help  (not run here: about 6 minutes)
  node dist/bench/compose.js --help  (not run here: root and podman, about 9 minutes)
Exit codes: 0 done (a failed benchmark is logged and the rest run), 2 bad flags.
`
}

async function main (args: BenchArgs): Promise<void> {
  const full = args.full
  const only: readonly Name[] = args.only?.map((name) => choiceValue('--only', name, ALL)) ?? ALL
  const out = args.out
  if (out !== undefined) mkdirSync(out, { recursive: true })
  const log = (line: string): void => { process.stderr.write(`bench: ${line}\n`) }
  const save = (name: string, data: unknown): void => {
    if (out !== undefined) writeFileSync(join(out, `${name}.json`), JSON.stringify({ machine: describeMachine(), full, at: new Date().toISOString(), ...data as object }, null, 2))
  }
  const print = (text: string): void => { process.stdout.write(text + '\n') }
  const machine = describeMachine()
  log(`${full ? 'full' : 'quick'} run; ${machineLine(machine)}`)
  const before = new Set(peermonPids())
  /** Runs one benchmark (after the CPU is idle again, in a full run); a failure is logged, the rest goes on. */
  const attempt = async <T>(label: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (full) await waitForIdleCpu()
    try {
      return await run()
    } catch (err) {
      log(`${label} failed: ${err instanceof Error ? err.message : String(err)}`)
      return undefined
    }
  }
  const push = <T>(results: T[], result: T | undefined): void => { if (result !== undefined) results.push(result) }

  if (only.includes('store')) {
    const results = runStore([1_000, 10_000])
    print(renderText(storeTable(results)))
    save('store', { results })
  }
  if (only.includes('dissemination')) {
    const results: DisseminationResult[] = []
    // The matrix (a process per node vs packed, then packed at 100 and 200 nodes); quick: 10 and 20 nodes, 20 also packed.
    const runs = full ? FULL_RUNS : [{ nodes: 10, intervalMs: 1000, perProcess: 1 }, { nodes: 20, intervalMs: 1000, perProcess: 1 }, { nodes: 20, intervalMs: 1000, perProcess: 'auto' as const }]
    for (const run of runs) {
      const label = `${run.nodes} nodes${run.perProcess === 1 ? '' : ' packed'}`
      // 200 only where it fits: when 100 nodes stayed under the machine's cores and delivered.
      const hundred = results.find((r) => r.nodes === 100)
      if (run.nodes === 200 && (hundred === undefined || !(hundred.swarmCores < machine.cores * 0.95) || !(hundred.delivered > 0.999))) {
        log('dissemination: skipping 200 nodes: 100 did not fit')
        continue
      }
      // 5 minutes at 100 nodes (the false-alert target's span).
      const seconds = full ? (run.nodes === 100 ? 300 : 60) : 15
      push(results, await attempt(`dissemination at ${label}`, async () =>
        await runDissemination({ ...run, seconds, settleSeconds: full ? 10 : 5, seed: 1, log: (l) => { log(`dissemination: ${l}`) } })))
      save('dissemination', { results })
    }
    // Gossipsub's stock parameters at a size both fit, for comparison.
    const stockNodes = full ? 20 : 10
    push(results, await attempt('dissemination (stock)', async () =>
      await runDissemination({ nodes: stockNodes, seconds: full ? 60 : 15, settleSeconds: full ? 10 : 5, gossipsub: 'stock', seed: 1, log: (l) => { log(`dissemination (stock): ${l}`) } })))
    print(renderText(disseminationTable(results)))
    save('dissemination', { results })
  }
  if (only.includes('detection')) {
    const results: DetectionResult[] = []
    // With --full the size (50), then both parameter sets at a size this machine carries (20).
    const runs: Array<{ nodes: number, config: 'tuned' | 'stock' }> = full
      ? [{ nodes: 50, config: 'tuned' }, { nodes: 20, config: 'tuned' }, { nodes: 20, config: 'stock' }]
      : [{ nodes: 20, config: 'tuned' }, { nodes: 20, config: 'stock' }]
    for (const { nodes, config } of runs) {
      push(results, await attempt(`detection (${config}, ${nodes} nodes)`, async () =>
        await runDetection({ nodes, rounds: full ? 12 : 4, config, seed: 1, log: (l) => { log(`detection: ${l}`) } })))
      save('detection', { results })
    }
    print(renderText(detectionTable(results)))
    save('detection', { results })
  }
  if (only.includes('profile')) {
    const result = await attempt('profile', async () => await runProfile({ nodes: full ? 20 : 10, seconds: full ? 30 : 15, log: (l) => { log(`profile: ${l}`) } }))
    if (result !== undefined) {
      for (const table of profileTables(result)) print(renderText(table))
      save('profile', { result })
    }
  }
  if (only.includes('api')) {
    // bench/api.ts belongs to the HTTP API; run it when it exists.
    const api = fileURLToPath(new URL('./api.js', import.meta.url))
    if (existsSync(api)) {
      const run = spawnSync(process.execPath, ['--import', fileURLToPath(new URL('../src/polyfills.js', import.meta.url)), api], { stdio: ['ignore', 'inherit', 'inherit'] })
      if (run.status !== 0) log(`api benchmark exited with ${run.status ?? run.signal}`)
    }
  }
  if (only.includes('sybil')) {
    // Issue 13's Sybil flood: paced and unpaced for 5 minutes each with --full; quick: paced for 30 s.
    const rows: SybilRow[] = []
    for (const mode of full ? ['paced', 'unpaced'] as const : ['paced'] as const) {
      const load1 = os.loadavg()[0]
      const result = await attempt(`sybil (${mode})`, async () => await runFlood({
        durationMs: full ? 300_000 : 30_000, rate: mode === 'paced' ? PACED_RATE : 'unpaced', log: (l) => { log(`sybil (${mode}): ${l}`) }
      }))
      if (result === undefined) continue
      rows.push({ mode, load1, result })
      print(renderText(memoryTable({ mode, load1, result })))
    }
    if (rows.length > 0) print(renderText(targetsTable(rows)))
    save('sybil', { rows })
  }
  const left = peermonPids().filter((pid) => !before.has(pid))
  if (left.length > 0) log(`note: peermon processes started during the run still run (another user's?): ${left.join(', ')}`)
}

runBench(BENCH, main)
