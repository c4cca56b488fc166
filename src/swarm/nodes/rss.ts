/** Resident memory of a process, where the OS makes it cheap to read (Linux /proc). */
import { readFile } from 'node:fs/promises'

/** VmRSS of `pid` in kB, or undefined off Linux or when the process is gone. */
export async function readRssKb (pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return match === null ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}
