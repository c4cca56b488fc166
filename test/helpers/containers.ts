/**
 * podman for the container tests: the project's containers.conf, the image
 * built on a local base (deploy/podman/local-image.sh, no registry needed) from
 * the host's node_modules and dist/ (DEPS=context), and the clean-up that
 * leaves no container, network, volume or image behind.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { inCi } from './ci.js'

export const REPO = fileURLToPath(new URL('../../..', import.meta.url))
export const CONTAINERS_CONF = join(REPO, 'deploy', 'podman', 'containers.conf')
/** Every podman command runs with the project's containers.conf, whatever /etc/containers says. */
export const PODMAN_ENV: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF }

export interface Run { code: number, stdout: string, stderr: string }

/** Runs a command to completion (killed after `timeoutMs`); never rejects. */
export async function run (file: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number } = {}): Promise<Run> {
  return await new Promise(resolve => {
    execFile(file, args, { env: options.env ?? PODMAN_ENV, cwd: options.cwd ?? REPO, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

export async function podman (args: string[], timeoutMs?: number): Promise<Run> {
  return await run('podman', args, { timeoutMs })
}

/** Like podman(), but throws with podman's stderr when it fails. */
export async function podmanOk (args: string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs)
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`)
  return result.stdout
}

/** Skip reason for a container test: podman, busybox-static, root and `tools` are needed; under CI it fails instead. */
export function containersSkip (tools: string[] = []): string | false {
  const missing = ['/usr/bin/podman', '/bin/busybox', ...tools].filter(path => !existsSync(path))
  if (process.getuid?.() !== 0) missing.push('root')
  if (missing.length === 0 || inCi) return false
  return `needs ${missing.join(', ')} (apt-get install podman runc netavark aardvark-dns busybox-static podman-compose)`
}

export interface BuiltImage {
  /** The peermon image, e.g. localhost/peermon:test-1234. */
  image: string
  base: string
  /** Seconds `podman build` took. */
  buildSeconds: number
  /** Removes the image and the base. */
  remove: () => Promise<void>
}

/**
 * Builds the image as the README says, on a local base: `podman build --build-arg
 * BASE=<local> --build-arg DEPS=context` from the repository (which `npm test` has
 * built). `--layers=false` keeps no intermediate image; remove() also removes any
 * image made since the build began, should a failed build leave one.
 */
export async function buildImage (tag: string): Promise<BuiltImage> {
  const base = `localhost/peermon-base:${tag}`
  const image = `localhost/peermon:${tag}`
  const before = await imageIds()
  const remove = async (): Promise<void> => { await removeImagesSince(before, [image, base]) }
  const made = await run(join(REPO, 'deploy', 'podman', 'local-image.sh'), [base, 'node'], { env: PODMAN_ENV })
  if (made.code !== 0) throw new Error(`local-image.sh failed: ${made.stderr.trim()}`)
  const start = Date.now()
  try {
    await podmanOk(['build', '--quiet', '--layers=false', '--format', 'docker', '--build-arg', `BASE=${base}`, '--build-arg', 'DEPS=context', '--tag', image, '.'], 300_000)
  } catch (err) {
    await remove()
    throw err
  }
  return { image, base, buildSeconds: (Date.now() - start) / 1000, remove }
}

/** The ids of every image podman has, intermediate ones included. */
export async function imageIds (): Promise<Set<string>> {
  const list = await podman(['images', '--all', '--quiet', '--no-trunc'])
  return new Set(list.stdout.split('\n').map(id => id.trim()).filter(id => id !== ''))
}

/** Removes the named images and every image made since `before` (a build's stages), newest first. */
export async function removeImagesSince (before: ReadonlySet<string>, named: string[]): Promise<void> {
  await podman(['rmi', '--force', ...named])
  const made = [...await imageIds()].filter(id => !before.has(id))
  // Children before parents: podman lists the newest first.
  for (const id of made) await podman(['rmi', '--force', id])
}

/** Names of the containers, networks, volumes and images podman has now (to compare before and after a test). */
export async function podmanInventory (): Promise<string[]> {
  const lists = await Promise.all([
    podman(['ps', '--all', '--format', 'container {{.Names}}']),
    podman(['network', 'ls', '--format', 'network {{.Name}}']),
    podman(['volume', 'ls', '--format', 'volume {{.Name}}']),
    podman(['images', '--all', '--format', 'image {{.Repository}}:{{.Tag}} {{.ID}}']),
    podman(['pod', 'ps', '--format', 'pod {{.Name}}'])
  ])
  return lists.flatMap(list => list.stdout.split('\n').filter(line => line.trim() !== '')).sort()
}
