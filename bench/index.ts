/**
 * `npm run bench`: every benchmark in turn, each printing its tables (never a
 * pass/fail). Quick sizes by default (a few minutes); `--full` for the sizes
 * of docs/benchmarks.md; `--out <dir>` also writes each result as JSON there,
 * which `npm run bench:docs` turns into docs/benchmarks.md.
 *
 *   npm run bench [-- --full] [-- --only store,dissemination] [-- --out bench-results]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { detectionTable, runDetection, type DetectionResult } from './detection.js'
import { disseminationTable, runDissemination, type DisseminationResult } from './dissemination.js'
import { describeMachine, machineLine } from './lib/machine.js'
import { peermonPids, waitForIdleCpu } from './lib/proc.js'
import { renderText } from './lib/table.js'
import { profileTables, runProfile } from './profile.js'
import { runStore, storeTable } from './store.js'

const ALL = ['store', 'dissemination', 'detection', 'profile', 'api'] as const
type Name = typeof ALL[number]

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { full: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' } } })
  const full = values.full === true
  const only = (values.only?.split(',') ?? ALL) as Name[]
  const out = values.out
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
    for (const nodes of full ? [10, 20, 50, 100, 200] : [10, 20]) {
      // 200 only where it fits: when 100 daemons stayed under the machine's cores and delivered.
      const hundred = results.find((r) => r.nodes === 100)
      if (nodes === 200 && (hundred === undefined || !(hundred.swarmCores < machine.cores * 0.9) || !(hundred.delivered > 0.999))) {
        log('dissemination: skipping 200 nodes: 100 did not fit')
        continue
      }
      // 5 minutes (the false-alert target's span) where 100 daemons fit; a minute where they do not.
      const fifty = results.find((r) => r.nodes === 50)
      const fits = fifty !== undefined && fifty.swarmCores < machine.cores * 0.5 && fifty.delivered > 0.999
      const seconds = full ? (nodes === 100 && fits ? 300 : 60) : 15
      push(results, await attempt(`dissemination at ${nodes} nodes`, async () =>
        await runDissemination({ nodes, seconds, settleSeconds: full ? 10 : 5, seed: 1, log: (l) => { log(`dissemination: ${l}`) } })))
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
  const left = peermonPids().filter((pid) => !before.has(pid))
  if (left.length > 0) log(`note: peermon processes started during the run still run (another user's?): ${left.join(', ')}`)
}

main().catch((err) => { process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1 })
