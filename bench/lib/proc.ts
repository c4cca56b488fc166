/**
 * What the kernel knows about a process (Linux /proc): CPU time, resident
 * memory and bytes read. Reads are synchronous and cheap (a few µs each), so
 * sampling a whole swarm at one moment stays consistent.
 */
import { readFileSync, readdirSync } from 'node:fs'

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100

export interface ProcSample {
  pid: number
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number
  /** Resident set size, bytes (VmRSS: shared pages of the node binary included, ~35-45 MB). */
  rssBytes: number
  /** Private anonymous resident memory, bytes (RssAnon: heap, JIT code, buffers). */
  anonBytes: number
  /** Proportional set size, bytes: private pages plus this process's share of shared ones. */
  pssBytes: number
  /** Bytes the process read through read(2) and friends (sockets included): /proc/<pid>/io rchar. */
  readBytes: number
}

/** Samples `pid`, or undefined when it is gone (or off Linux). */
export function sampleProcess (pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(status)
    let pss: RegExpExecArray | null = null
    try { pss = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')) } catch {}
    const io = readFileSync(`/proc/${pid}/io`, 'utf8')
    const rchar = /^rchar:\s+(\d+)/m.exec(io)
    return {
      pid,
      cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
      rssBytes: rss === null ? 0 : Number(rss[1]) * 1024,
      anonBytes: anon === null ? 0 : Number(anon[1]) * 1024,
      pssBytes: pss === null ? NaN : Number(pss[1]) * 1024,
      readBytes: rchar === null ? 0 : Number(rchar[1])
    }
  } catch {
    return undefined
  }
}

/** Samples every pid; the map holds those still running. */
export function sampleProcesses (pids: number[]): Map<number, ProcSample> {
  const samples = new Map<number, ProcSample>()
  for (const pid of pids) {
    const sample = sampleProcess(pid)
    if (sample !== undefined) samples.set(pid, sample)
  }
  return samples
}

/** Pids of running `peermon.js` processes (a check that a benchmark left nothing behind). */
export function peermonPids (): number[] {
  const pids: number[] = []
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes('peermon.js')) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

function safeReaddir (dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
