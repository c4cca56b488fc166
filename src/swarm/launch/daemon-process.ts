/**
 * How the launcher starts a swarm's daemon processes: the Node.js flags of a
 * daemon and of a packed process (those the running Node accepts), the
 * environment a child gets, and the port a node bound (to restart it there).
 */
import { spawnSync } from 'node:child_process'

/**
 * Node.js flags of swarm daemons (docs/benchmarks.md). A 1 MB semi-space (V8's
 * young generation; default 16 MB) cuts each idle daemon's private memory from
 * ~60 to ~35 MB. An interrupt budget of 8 KB (V8's default: 66 KB) lets hot
 * functions reach the optimizing compiler sooner: a daemon handles only tens
 * of messages a second, and stayed in slower code for minutes (20 daemons at a
 * 1 s interval: 1.33 -> 1.08 cores; Node 20's V8, whose flag it is).
 * Daemons get those of them the running Node accepts (supportedFlags): Node 24
 * runs them without the interrupt budget and still spends ~12-25 % less CPU
 * than Node 20 with it; no V8 flag tried on 24 paid (docs/benchmarks.md).
 */
export const DAEMON_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=1', '--interrupt-budget=8192']

/**
 * Node.js flags of packed processes: the interrupt budget as for a daemon, and
 * a large young generation. Garbage collection is the largest cost of a busy
 * packed process; a 64 MB semi-space (V8's default: 16 MB; a daemon's: 1 MB)
 * lets most of a report's garbage die young: 100 nodes at 2 s in 4 processes,
 * p99 propagation 1.7 s instead of 3.4 s (32 MB) and 6.2 s (16 MB), for about
 * 100 MB more per process (docs/benchmarks.md).
 */
export const PACKED_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=64', '--interrupt-budget=8192']

const accepted = new Map<string, boolean>()

/**
 * The flags in `flags` that `nodePath` starts with: V8 flags come and go between
 * Node lines (`--interrupt-budget` is gone from Node 22's V8), and Node refuses
 * to start with one it does not know. Each flag is tried once per process.
 */
export function supportedFlags (flags: readonly string[], nodePath = process.execPath): string[] {
  return flags.filter((flag) => {
    const key = `${nodePath}\0${flag}`
    let ok = accepted.get(key)
    if (ok === undefined) {
      ok = spawnSync(nodePath, [flag, '-e', ''], { stdio: 'ignore', timeout: 10_000 }).status === 0
      accepted.set(key, ok)
    }
    return ok
  })
}

/** The TCP port of the first of `addrs` on `host` (a `listening` line's addresses). */
export function boundPort (addrs: readonly string[], host: string): number | undefined {
  for (const addr of addrs) {
    const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(addr)
    if (match !== null && match[1] === host) return Number(match[2])
  }
  return undefined
}

/**
 * The environment for a child: ours without PEERMON_* settings (a shared
 * PEERMON_KEY would give every node one identity, PEERMON_LISTEN a clash),
 * except PEERMON_DEBUG.
 */
export function daemonEnv (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('PEERMON_') || name === 'PEERMON_DEBUG'))
}
