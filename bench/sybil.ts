/**
 * A Sybil flood against a swarm of real daemons (issue 13): a rogue connected
 * to one daemon sends full reports (64 names, 256-character texts, declared
 * interval 100 ms) from freshly invented signers, paced and unpaced, while
 * honest daemons join and one crashes; then the invented peers' leftover
 * alerts and a replay after forgetting. Prints each daemon's memory over
 * time and the issue's targets, met or not. The harness: bench/lib/sybil-flood.ts.
 *
 *   node dist/bench/sybil.js [--only paced,unpaced] [--duration 5m] [--nodes 4] [--rate 300] [--bin <peermon.js>] [--json] [--out file]
 */
import os from 'node:os'
import { resolve } from 'node:path'
import { onlyOf, runBench, writeResults, type Bench, type BenchArgs } from './lib/args.js'
import { machineLine } from './lib/machine.js'
import { runFlood } from './lib/sybil-flood.js'
import { PACED_RATE, memoryTable, targetsTable, type SybilRow } from './lib/sybil-report.js'
import { renderText } from './lib/table.js'

const MODES = ['paced', 'unpaced'] as const

const BENCH: Bench = {
  name: 'sybil',
  command: 'node dist/bench/sybil.js',
  flags: ['only', 'nodes', 'duration', 'rate', 'bin', 'json', 'out'],
  help: `Usage: node dist/bench/sybil.js [options]

A Sybil flood (issue 13): a rogue connected to one daemon of a swarm sends
full reports (64 names, 256-character texts, declared interval 100 ms), each
from a freshly invented signer; honest daemons join and one is SIGKILLed
during the flood; afterwards the invented peers' leftover alerts and hook runs
are counted and the killed daemon's captured reports are replayed once it is
forgotten. Prints each daemon's RSS and heap over time and the issue's targets.

Options:
  --only <mode,...>     paced (${PACED_RATE} reports/s), unpaced (default: both)
  --duration <duration> how long the rogue floods (default: 5m)
  --nodes <n>           daemons at the start, a process each (default: 4; 2 more join)
  --rate <n>            reports a second of the paced flood (default: ${PACED_RATE})
  --bin <peermon.js>    the daemons' bin/peermon.js (default: this build's), e.g. another build for a before/after
  --json                also print one JSON object with every result
  --out <file>          write the JSON result to this file
  -h, --help            show this help
`
}

async function main (args: BenchArgs): Promise<void> {
  const only = onlyOf(args, MODES)
  const log = (line: string): void => { process.stderr.write(`sybil: ${line}\n`) }
  const rows: SybilRow[] = []
  for (const mode of only) {
    const load1 = os.loadavg()[0]
    log(`${mode} flood (load ${load1.toFixed(1)})`)
    const result = await runFlood({
      nodes: args.nodes?.[0] ?? 4,
      durationMs: args.durationMs ?? 300_000,
      rate: mode === 'paced' ? args.rate ?? PACED_RATE : 'unpaced',
      binPath: args.bin === undefined ? undefined : resolve(args.bin),
      log: (line) => { log(`${mode}: ${line}`) }
    })
    rows.push({ mode, load1, result })
    process.stdout.write(`${renderText(memoryTable({ mode, load1, result }))}\n`)
  }
  process.stdout.write(`${machineLine()}\n\n${renderText(targetsTable(rows))}\n`)
  writeResults(args, 'sybil', rows)
}

runBench(BENCH, main)
