/** The machine a benchmark ran on, for the tables and docs/benchmarks.md. */
import { readFileSync } from 'node:fs'
import os from 'node:os'

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  kernel: string
  /** 1, 5 and 15-minute load averages when asked. */
  load: [number, number, number]
}

export function describeMachine (): Machine {
  const cpus = os.cpus()
  let cpu = cpus[0]?.model ?? 'unknown'
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpu
  } catch {}
  const load = os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number]
  return { cpu, cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release(), load }
}

export function machineLine (m: Machine = describeMachine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}; load ${m.load.join(' / ')}`
}
