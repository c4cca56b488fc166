/**
 * Finding and removing what network-namespace LANs made (names.ts):
 * the namespaces, veth pairs and bridges of one launcher, or the leftovers of
 * every launcher that died without cleaning up, the processes still running
 * in their namespaces included (SIGKILL). Fault rules and queues live in the
 * namespaces and on the veths, and go with them.
 */
import { deadOwnersNames, isProcessAlive, ownerOf } from './names.js'
import { readToolSync, runTool, runToolSync } from './tools.js'

/** Every namespace and link name on the machine a LAN makes (pm-<pid>-<i|br>), of any owner. */
export function listLanNames (): string[] {
  const names = new Set<string>()
  for (const entry of parseJsonList(readToolSync('ip', ['-j', 'netns', 'list']))) {
    if (typeof entry.name === 'string') names.add(entry.name)
  }
  for (const entry of parseJsonList(readToolSync('ip', ['-j', 'link', 'show']))) {
    if (typeof entry.ifname === 'string') names.add(entry.ifname)
  }
  return [...names].filter((name) => ownerOf(name) !== undefined)
}

/**
 * Removes what the LANs of dead launchers left behind (names.ts), the
 * processes still running in their namespaces included; resolves with the
 * names removed. Names of running launchers stay.
 */
export async function removeLeftovers (isAlive: (pid: number) => boolean = isProcessAlive): Promise<string[]> {
  const names = deadOwnersNames(listLanNames(), isAlive)
  await removeNames(names)
  return names
}

/** Removes the namespaces, links and bridge of launcher `owner`, killing what runs in them. */
export async function removeOwnedBy (owner: number): Promise<void> {
  await removeNames(listLanNames().filter((name) => ownerOf(name) === owner))
}

/** removeOwnedBy(), synchronously: for exit and signal handlers. */
export function removeOwnedBySync (owner: number): void {
  removeNamesSync(listLanNames().filter((name) => ownerOf(name) === owner))
}

/** Kills the processes in the namespaces named, then deletes the links and namespaces named. */
async function removeNames (names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  killProcessesIn(names)
  // -force: go on after a line that fails (a namespace has no link of that name, a link has no namespace).
  await runTool('ip', ['-force', '-batch', '-'], removalBatch(names)).catch(() => {})
}

function removeNamesSync (names: readonly string[]): void {
  if (names.length === 0) return
  killProcessesIn(names)
  runToolSync('ip', ['-force', '-batch', '-'], removalBatch(names))
}

/** Veth pairs (deleting one end deletes both) and bridges first, then the namespaces. */
function removalBatch (names: readonly string[]): string {
  const namespaces = new Set(parseJsonList(readToolSync('ip', ['-j', 'netns', 'list'])).map((e) => e.name))
  const links = new Set(parseJsonList(readToolSync('ip', ['-j', 'link', 'show'])).map((e) => e.ifname))
  return [
    ...names.filter((n) => links.has(n)).map((n) => `link del ${n}`),
    ...names.filter((n) => namespaces.has(n)).map((n) => `netns del ${n}`)
  ].join('\n') + '\n'
}

function killProcessesIn (names: readonly string[]): void {
  const namespaces = new Set(parseJsonList(readToolSync('ip', ['-j', 'netns', 'list'])).map((e) => e.name))
  for (const name of names) {
    if (!namespaces.has(name)) continue
    for (const pid of readToolSync('ip', ['netns', 'pids', name]).split(/\s+/).filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {}
    }
  }
}

function parseJsonList (text: string): Array<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null) : []
  } catch {
    return []
  }
}
