/**
 * Names of what a network-namespace LAN creates, and who owns them. Every name
 * carries the pid of the launcher that made it, so a later start can tell the
 * leftovers of a launcher that died without cleaning up (SIGKILL, a crash, a
 * power cut of its terminal) from those of a launcher still running:
 *
 *   pm-<pid>-<i>    node i's network namespace, and the host end of its veth pair
 *   pm-<pid>-br     the bridge every node's veth is plugged into
 *
 * Interface names are at most 15 bytes (IFNAMSIZ - 1): `pm-4194304-br` and
 * `pm-4194304-999` fit, with Linux's largest pid (2^22). One LAN per launcher
 * process at a time, so the pid alone tells LANs apart. Pure: no commands run here.
 */

/** Linux's largest interface name, in bytes. */
export const MAX_LINK_NAME = 15

/** The largest node index a LAN names (`pm-4194304-999` is 14 bytes). */
export const MAX_LAN_HOSTS = 1000

const OWNED = /^pm-(\d{1,7})-(\d{1,3}|br)$/

/** Node `index`'s network namespace of the LAN of launcher `owner`; also the host end of its veth pair. */
export function hostName (owner: number, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_LAN_HOSTS) throw new RangeError(`node index ${index} out of 0..${MAX_LAN_HOSTS - 1}`)
  return `pm-${owner}-${index}`
}

/** The bridge of the LAN of launcher `owner`. */
export function bridgeName (owner: number): string {
  return `pm-${owner}-br`
}

/** The pid of the launcher that owns `name`, or undefined for a name no LAN makes. */
export function ownerOf (name: string): number | undefined {
  const match = OWNED.exec(name)
  return match === null ? undefined : Number(match[1])
}

/**
 * The LAN names among `names` whose owner is dead: another pid than `self`
 * for which `isAlive` is false. Names of live launchers and foreign names stay.
 */
export function deadOwnersNames (names: readonly string[], isAlive: (pid: number) => boolean, self = process.pid): string[] {
  const alive = new Map<number, boolean>()
  return names.filter((name) => {
    const owner = ownerOf(name)
    if (owner === undefined || owner === self) return false
    let ok = alive.get(owner)
    if (ok === undefined) {
      ok = isAlive(owner)
      alive.set(owner, ok)
    }
    return !ok
  })
}

/** Whether a process with this pid exists (one we may not signal counts as existing). */
export function isProcessAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
