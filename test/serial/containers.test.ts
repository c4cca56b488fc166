/**
 * The container image and the Compose deployment, run for real with podman:
 * the README's "Containers" commands as written, through a `docker` that
 * stands in for Docker (podman, podman-compose 1.0; `docker build` on a local
 * base from this machine's node, DEPS=context; the container names Compose v2
 * gives, peermon-peer-2, mapped to podman-compose's peermon_peer_2). Then what a
 * user would check: every daemon monitors every other; a killed container is
 * alerted once by every survivor; a paused one is alerted and recovers after
 * unpausing, and raises no false alert itself; `docker stop` gives `left`, not
 * an alert; with the seed killed the others keep monitoring each other;
 * Prometheus beside them scrapes every daemon and names the dead peer; and
 * nothing (container, network, volume, image, pod) is left behind.
 *
 * Root only (podman, rootful), one CI pass (it builds an image: about 3 minutes).
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { inCiPass } from '../helpers/ci.js'
import { PODMAN_ENV, REPO, containersSkip, imageIds, podman, podmanInventory, podmanOk, removeImagesSince, run } from '../helpers/containers.js'
import { sleep, waitFor } from '../helpers/wait.js'

const skip = containersSkip(['/usr/bin/podman-compose']) || inCiPass(3)

const PROJECT = 'peermon'
const IMAGE = 'localhost/peermon:latest'
const BASE = `localhost/peermon-test-base:node${process.versions.node.split('.')[0]}`
const PROMETHEUS_IMAGE = 'localhost/peermon-test-prometheus:local'
const TOKEN_FILE = join(REPO, 'deploy', 'compose', 'api-token')
const COMPOSE = ['-f', 'deploy/compose/compose.yaml']
/** PEERMON_INTERVAL's default in compose.yaml, 2 s, and so a TTL of 6 s. */
const TTL_MS = 6_000

/** The README's "Containers" commands: the one `sh` block of that section. */
function readmeCommands (): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
  const start = readme.indexOf('## Containers')
  assert.notEqual(start, -1, 'README has a "## Containers" section')
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)
  assert.ok(block !== null, 'the Containers section has an sh block')
  return block[1].split('\n').filter(line => line.trim() !== '')
}

/** podman in Docker's place, as a user with podman-docker and podman-compose would run these. */
const DOCKER_SHIM = `#!/bin/sh
# docker -> podman, for the README's commands (test/serial/containers.test.ts)
names () { echo "$@" | sed -E 's/(^| )peermon-(seed|peer|prometheus)-([0-9]+)/\\1peermon_\\2_\\3/g'; }
case "$1" in
  compose) shift; exec podman-compose -p ${PROJECT} "$@" ;;
  build) shift; exec podman build --quiet --layers=false --format docker --build-arg "BASE=$PEERMON_TEST_BASE" --build-arg DEPS=context "$@" ;;
  kill|pause|unpause|stop) command="$1"; shift; exec podman "$command" $(names "$@") ;;
  *) exec podman "$@" ;;
esac
`

interface Health { peer: string, peers: { alive: number, alerting: number, left: number }, local: string }
interface AlertEvent { event: string, peer?: string }

describe('the container image and Compose, with podman', { skip }, () => {
  const commands = skip === false ? readmeCommands() : []
  let shimDir = ''
  let before0: string[] = []
  let imagesBefore = new Set<string>()
  const saved: Array<() => Promise<void>> = []
  let env: NodeJS.ProcessEnv = {}
  const ids = new Map<string, string>()

  /** Runs one README command through sh -c from the repository root, with the shim first on PATH. */
  async function readme (index: number, expected: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    const command = commands[index]
    assert.ok(command?.startsWith(expected), `README command ${index + 1} is "${expected}...", got ${JSON.stringify(command)}`)
    const result = await run('sh', ['-c', command], { env: { ...env, ...extraEnv }, timeoutMs: 300_000 })
    assert.equal(result.code, 0, `${command}: ${result.stderr.slice(-2000)}`)
    return result.stdout
  }

  const container = (service: string, n: number): string => `${PROJECT}_${service}_${n}`
  const daemons = [container('seed', 1), ...[1, 2, 3, 4].map(n => container('peer', n))]

  async function health (name: string): Promise<Health> {
    return JSON.parse(await podmanOk(['exec', name, 'peermon', 'health', '--json'])) as Health
  }

  async function alerts (name: string): Promise<AlertEvent[]> {
    return (JSON.parse(await podmanOk(['exec', name, 'peermon', 'alerts', '--json'])) as { events: AlertEvent[] }).events
  }

  const count = (events: AlertEvent[], type: string, peer: string): number => events.filter(e => e.event === type && e.peer === peer).length

  before(async () => {
    assert.equal(commands.length, 9, 'the test knows each README command; a new one needs a check here')
    const found = await podmanInventory()
    assert.ok(!found.some(line => /^container peermon_/.test(line)), `no ${PROJECT} Compose project may be running: ${found.join(', ')}`)
    // What the README's commands overwrite is kept aside and put back after.
    if (found.some(line => line.startsWith(`image ${IMAGE} `))) {
      await podmanOk(['tag', IMAGE, 'localhost/peermon:kept-by-containers-test'])
      await podmanOk(['rmi', IMAGE])
      saved.push(async () => { await podmanOk(['tag', 'localhost/peermon:kept-by-containers-test', IMAGE]); await podman(['rmi', 'localhost/peermon:kept-by-containers-test']) })
    }
    if (existsSync(TOKEN_FILE)) {
      await rename(TOKEN_FILE, `${TOKEN_FILE}.kept-by-test`)
      saved.push(async () => { await rename(`${TOKEN_FILE}.kept-by-test`, TOKEN_FILE) })
    }
    before0 = await podmanInventory()
    imagesBefore = await imageIds()
    shimDir = await mkdtemp(join(tmpdir(), 'peermon-docker-shim-'))
    await writeFile(join(shimDir, 'docker'), DOCKER_SHIM)
    await chmod(join(shimDir, 'docker'), 0o755)
    env = { ...PODMAN_ENV, PATH: `${shimDir}:${process.env.PATH ?? ''}`, PEERMON_TEST_BASE: BASE }
    for (const [image, program] of [[BASE, 'node'], [PROMETHEUS_IMAGE, 'prometheus']]) {
      const made = await run(join(REPO, 'deploy', 'podman', 'local-image.sh'), [image, program])
      assert.equal(made.code, 0, made.stderr)
    }
  })

  after(async () => {
    // Whatever happened: the project down, its network, the images, the shim; then what was kept, back.
    await run('podman-compose', ['-p', PROJECT, ...COMPOSE, '-f', 'deploy/compose/prometheus.yaml', 'down'], { env: { ...PODMAN_ENV, PROMETHEUS_IMAGE }, timeoutMs: 120_000 })
    const left = (await podman(['ps', '--all', '--format', '{{.Names}}'])).stdout.split('\n').filter(n => n.startsWith(`${PROJECT}_`))
    if (left.length > 0) await podman(['rm', '--force', ...left])
    await podman(['network', 'rm', `${PROJECT}_default`])
    await removeImagesSince(imagesBefore, [IMAGE, BASE, PROMETHEUS_IMAGE])
    await rm(TOKEN_FILE, { force: true })
    if (shimDir !== '') await rm(shimDir, { recursive: true, force: true })
    for (const restore of saved) await restore()
  })

  it('builds the image as the README says: production dependencies only, a non-root user; prints its build time', async () => {
    const start = Date.now()
    await readme(0, 'docker build -t peermon .')
    const seconds = (Date.now() - start) / 1000
    const size = (await podmanOk(['image', 'inspect', IMAGE, '--format', '{{.Size}}'])).trim()
    const baseSize = (await podmanOk(['image', 'inspect', BASE, '--format', '{{.Size}}'])).trim()
    console.log(`# image built in ${seconds.toFixed(1)} s: ${(Number(size) / 1e6).toFixed(0)} MB, of which the base (busybox, node, npm) ${(Number(baseSize) / 1e6).toFixed(0)} MB`)
    assert.ok(seconds < 180, `built in ${seconds} s (the target, 60 s warm, is measured in docs/containers.md)`)
    const inside = await podmanOk(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'id -u; ls node_modules node_modules/@chainsafe; ls dist'])
    assert.match(inside, /^1000\n/, 'runs as the node user')
    assert.match(inside, /libp2p-gossipsub/, 'production dependencies are there')
    for (const dev of ['typescript', 'playwright-core', 'fast-check', 'protons']) assert.ok(!new RegExp(`^${dev}$`, 'm').test(inside), `${dev} (a dev dependency) is not in the image`)
    assert.match(inside, /^src$/m, 'only dist/src of the build')
    assert.doesNotMatch(inside, /^test$/m)
  })

  it('starts a seed and 4 peers, each monitoring every other, and Prometheus scraping them all', async () => {
    await readme(1, 'openssl rand -hex 16 > deploy/compose/api-token')
    assert.match(readFileSync(TOKEN_FILE, 'utf8'), /^[0-9a-f]{32}\n$/)
    await readme(2, 'PEERMON_PEERS=4 docker compose -f deploy/compose/compose.yaml up -d')
    const started = Date.now()
    const prometheus = await run('podman-compose', ['-p', PROJECT, ...COMPOSE, '-f', 'deploy/compose/prometheus.yaml', 'up', '-d', 'prometheus'], { env: { ...PODMAN_ENV, PROMETHEUS_IMAGE }, timeoutMs: 120_000 })
    assert.equal(prometheus.code, 0, prometheus.stderr.slice(-2000))
    await waitFor('every daemon monitors the 4 others', async () => {
      const all = await Promise.all(daemons.map(async name => await health(name).catch(() => undefined)))
      return all.every(h => h !== undefined && h.peers.alive === 4)
    }, 90_000, 1_000)
    console.log(`# all 5 daemons monitor each other ${((Date.now() - started) / 1000).toFixed(1)} s after compose up returned`)
    for (const name of daemons) ids.set(name, (await health(name)).peer)
    const peers = await readme(3, 'docker compose -f deploy/compose/compose.yaml exec seed peermon peers')
    for (const name of daemons.slice(1)) assert.ok(peers.includes((ids.get(name) ?? '').slice(-8)), `peermon peers in the seed lists ${name}`)
    assert.equal(peers.match(/ alive /g)?.length, 4, peers)
    await waitFor('Prometheus scrapes all 5 daemons', async () => {
      const targets = await prometheusApi<{ activeTargets: Array<{ health: string }> }>('targets')
      return targets?.activeTargets.filter(t => t.health === 'up').length === 5
    }, 60_000, 1_000)
  })

  it('a killed container is alerted once by every survivor', async () => {
    const victim = container('peer', 2)
    await readme(4, 'docker kill peermon-peer-2')
    const killedAt = Date.now()
    const survivors = daemons.filter(d => d !== victim)
    await waitFor('every survivor alerts on the killed peer', async () => {
      const all = await Promise.all(survivors.map(alerts))
      return all.every(events => count(events, 'alert', ids.get(victim) ?? '') >= 1)
    }, TTL_MS + 30_000, 250)
    console.log(`# every survivor alerted within ${((Date.now() - killedAt) / 1000).toFixed(1)} s of docker kill (TTL ${TTL_MS / 1000} s)`)
    await sleep(TTL_MS)
    for (const name of survivors) {
      const events = await alerts(name)
      assert.equal(count(events, 'alert', ids.get(victim) ?? ''), 1, `${name} alerted once`)
      assert.deepEqual(events.filter(e => e.event === 'alert' && e.peer !== ids.get(victim)), [], `${name} alerted on nobody else`)
    }
  })

  it('a paused container is alerted, recovers after unpausing, and raises no false alert itself', async () => {
    const hung = container('peer', 3)
    const others = daemons.filter(d => d !== hung && d !== container('peer', 2))
    await readme(5, 'docker pause peermon-peer-3')
    await waitFor('the others alert on the paused peer', async () => {
      const all = await Promise.all(others.map(alerts))
      return all.every(events => count(events, 'alert', ids.get(hung) ?? '') === 1)
    }, TTL_MS + 30_000, 500)
    await readme(6, 'docker unpause peermon-peer-3')
    await waitFor('the others see it recovered', async () => {
      const all = await Promise.all(others.map(alerts))
      return all.every(events => count(events, 'recovered', ids.get(hung) ?? '') === 1)
    }, 30_000, 500)
    await sleep(TTL_MS)
    const own = await alerts(hung)
    assert.deepEqual(own.filter(e => e.event === 'alert' && e.peer !== ids.get(container('peer', 2))), [], 'the paused node alerts on nobody but the killed one: it knew it had been frozen')
    const logs = await readme(7, 'docker compose -f deploy/compose/compose.yaml logs seed')
    assert.match(logs, new RegExp(` alert +…${(ids.get(hung) ?? '').slice(-8)} `), 'the seed\'s log has the alert')
    assert.match(logs, new RegExp(` recovered +…${(ids.get(hung) ?? '').slice(-8)} `), 'and the recovery')
  })

  it('docker stop gives a graceful leave: the others log left, not an alert', async () => {
    const leaving = container('peer', 4)
    const start = Date.now()
    const stopped = await run('sh', ['-c', 'docker stop peermon-peer-4'], { env })
    assert.equal(stopped.code, 0, stopped.stderr)
    const stopSeconds = (Date.now() - start) / 1000
    const exit = (await podmanOk(['inspect', leaving, '--format', '{{.State.ExitCode}}'])).trim()
    assert.equal(exit, '0', 'the daemon exits 0 on SIGTERM (it is PID 1 behind the init)')
    const others = [container('seed', 1), container('peer', 1), container('peer', 3)]
    await waitFor('the others see it leave', async () => {
      const all = await Promise.all(others.map(alerts))
      return all.every(events => count(events, 'left', ids.get(leaving) ?? '') === 1)
    }, 20_000, 500)
    console.log(`# docker stop took ${stopSeconds.toFixed(1)} s`)
    await sleep(TTL_MS + 2_000)
    for (const name of others) assert.equal(count(await alerts(name), 'alert', ids.get(leaving) ?? ''), 0, `${name}: no alert for a peer that left`)
  })

  it('with the seed killed, the others keep monitoring each other: one alert each, nothing else', async () => {
    const seed = container('seed', 1)
    const rest = [container('peer', 1), container('peer', 3)]
    const before1 = await Promise.all(rest.map(alerts))
    await podmanOk(['kill', seed])
    await waitFor('both alert on the seed', async () => {
      const all = await Promise.all(rest.map(alerts))
      return all.every(events => count(events, 'alert', ids.get(seed) ?? '') === 1)
    }, TTL_MS + 30_000, 500)
    await sleep(3 * TTL_MS)
    for (const [i, name] of rest.entries()) {
      const events = await alerts(name)
      const fresh = events.slice(before1[i].length).filter(e => e.event === 'alert')
      assert.deepEqual(fresh.map(e => e.peer), [ids.get(seed)], `${name}: the seed's alert, nothing else`)
      const h = await health(name)
      assert.equal(h.peers.alive, 1, `${name} still monitors the other peer`)
      assert.equal(h.local, 'healthy')
    }
  })

  it('Prometheus names the killed peer once, with every observer counted, and not the one that left', async () => {
    await waitFor('PeermonPeerSilent for the killed peer', async () => {
      const alerts = await prometheusApi<{ alerts: Array<{ labels: Record<string, string>, state: string }> }>('alerts')
      return alerts?.alerts.some(a => a.labels.alertname === 'PeermonPeerSilent' && a.labels.peer === ids.get(container('peer', 2)) && a.state === 'firing') === true
    }, 90_000, 2_000)
    const firing = (await prometheusApi<{ alerts: Array<{ labels: Record<string, string>, value: string }> }>('alerts'))?.alerts ?? []
    const silent = firing.filter(a => a.labels.alertname === 'PeermonPeerSilent')
    assert.equal(silent.filter(a => a.labels.peer === ids.get(container('peer', 2))).length, 1, 'one alert for the peer, not one per observer')
    assert.equal(silent.filter(a => a.labels.peer === ids.get(container('peer', 4))).length, 0, 'none for the peer that left')
  })

  it('docker compose down leaves no container, network, volume or image behind', async () => {
    await readme(8, 'docker compose -f deploy/compose/compose.yaml down')
    await run('podman-compose', ['-p', PROJECT, ...COMPOSE, '-f', 'deploy/compose/prometheus.yaml', 'down'], { env: { ...PODMAN_ENV, PROMETHEUS_IMAGE }, timeoutMs: 120_000 })
    // podman-compose 1.0 leaves the project's network (docker compose removes it): docs/containers.md says so.
    await podman(['network', 'rm', `${PROJECT}_default`])
    // The image, its base and anything a build left; Prometheus's stand-in.
    await removeImagesSince(imagesBefore, [IMAGE, BASE, PROMETHEUS_IMAGE])
    await rm(TOKEN_FILE, { force: true })
    assert.deepEqual(await podmanInventory(), before0)
  })
})

/** GET http://127.0.0.1:9090/api/v1/<path>'s data, or undefined while Prometheus does not answer. */
async function prometheusApi<T> (path: string): Promise<T | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:9090/api/v1/${path}`)
    return res.ok ? (await res.json() as { data: T }).data : undefined
  } catch {
    return undefined
  }
}
