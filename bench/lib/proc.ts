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

/**
 * Waits until the machine is idle (under `busyBelow` of its CPU busy over a
 * 2 s sample of /proc/stat), for at most `maxMs`, so the next swarm does not
 * share the CPU with the last one's stragglers. The load average is no guide
 * here: after a large swarm stops it lags for minutes behind the idle CPU.
 * Returns the last busy share (NaN off Linux).
 */
export async function waitForIdleCpu (busyBelow = 0.1, maxMs = 60_000): Promise<number> {
  const until = Date.now() + maxMs
  let busy = NaN
  do {
    const a = cpuTimes()
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const b = cpuTimes()
    if (a === undefined || b === undefined) return NaN
    busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total)
  } while (busy >= busyBelow && Date.now() < until)
  return busy
}

/** Total and idle (idle + iowait) jiffies of all CPUs, from /proc/stat. */
function cpuTimes (): { total: number, idle: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    return { total: fields.reduce((x, y) => x + y, 0), idle: fields[3] + fields[4] }
  } catch {
    return undefined
  }
}
