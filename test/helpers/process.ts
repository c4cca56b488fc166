/** Whether a process with this pid is still running (signal 0 checks without sending anything). */
export function alive (pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
