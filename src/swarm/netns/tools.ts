/**
 * The system tools a network-namespace LAN drives (`ip` and `tc` from
 * iproute2, `nft` from nftables), what the LAN needs of the process
 * (CAP_NET_ADMIN and CAP_SYS_ADMIN: root), and running them: one failed
 * command is an error naming the command and the tool's own message.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** A tool's failure: the command line and its stderr, on one line. */
export class NetnsCommandError extends Error {
  constructor (readonly command: string, readonly detail: string) {
    super(`\`${command}\` failed: ${detail.trim().replace(/\s*\n\s*/g, '; ') || 'no message'}`)
    this.name = 'NetnsCommandError'
  }
}

/** Why a LAN cannot be made here (not root, a tool missing): one line, for the operator. */
export class NetnsUnavailableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'NetnsUnavailableError'
  }
}

/** Bits of the capability sets in /proc/self/status (linux/capability.h). */
const CAP_NET_ADMIN = 12
const CAP_SYS_ADMIN = 21

/** How long one tool invocation may take. */
const TOOL_TIMEOUT_MS = 30_000

/**
 * Why a LAN cannot run in this process, or undefined when it can: Linux, the
 * effective capabilities CAP_NET_ADMIN (links, addresses, nftables, qdiscs) and
 * CAP_SYS_ADMIN (`ip netns add` mounts the namespace under /run/netns), and the
 * `ip`, `tc` and `nft` commands. `tools` names the commands to look for.
 */
export function netnsUnavailableReason (tools: readonly string[] = ['ip', 'tc', 'nft']): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  const caps = effectiveCapabilities()
  const missing = [[CAP_NET_ADMIN, 'CAP_NET_ADMIN'], [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN']]
    .filter(([bit]) => caps === undefined || (caps & (1n << BigInt(bit))) === 0n).map(([, name]) => name)
  if (missing.length > 0) return `network namespaces need root (${missing.join(' and ')} missing); run as root, e.g. with sudo`
  for (const tool of tools) {
    const probe = spawnSync(tool, tool === 'nft' ? ['--version'] : ['-V'], { stdio: 'ignore', timeout: TOOL_TIMEOUT_MS })
    if (probe.error !== undefined) {
      const pkg = tool === 'nft' ? 'nftables' : 'iproute2'
      return `the \`${tool}\` command is not installed (Debian and Ubuntu: apt-get install ${pkg})`
    }
  }
  return undefined
}

/** Throws NetnsUnavailableError when netnsUnavailableReason() gives a reason. */
export function assertNetnsAvailable (tools?: readonly string[]): void {
  const reason = netnsUnavailableReason(tools)
  if (reason !== undefined) throw new NetnsUnavailableError(reason)
}

function effectiveCapabilities (): bigint | undefined {
  try {
    const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return match === null ? undefined : BigInt(`0x${match[1]}`)
  } catch {
    return undefined
  }
}

/** Runs `tool args...` with `input` on stdin; resolves with stdout, rejects with a NetnsCommandError. */
export async function runTool (tool: string, args: readonly string[], input?: string): Promise<string> {
  const command = [tool, ...args].join(' ')
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(tool, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: TOOL_TIMEOUT_MS })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.once('error', (err) => { reject(new NetnsCommandError(command, err.message)) })
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout)
      else reject(new NetnsCommandError(command, stderr !== '' ? stderr : `exit ${code ?? signal ?? '?'}`))
    })
    child.stdin?.on('error', () => {})
    child.stdin?.end(input)
  })
}

/**
 * Runs `tool args...` synchronously, for cleanup in a process 'exit' handler
 * or before a re-raised signal, where nothing asynchronous runs any more.
 * Returns whether it succeeded; never throws.
 */
export function runToolSync (tool: string, args: readonly string[], input?: string): boolean {
  const result = spawnSync(tool, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'], timeout: TOOL_TIMEOUT_MS })
  return result.status === 0
}

/** Like runTool, but the stdout of a synchronous run; '' when it failed. */
export function readToolSync (tool: string, args: readonly string[]): string {
  const result = spawnSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: TOOL_TIMEOUT_MS })
  return result.status === 0 ? result.stdout : ''
}
