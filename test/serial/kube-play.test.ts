/**
 * deploy/kubernetes/deployment.yaml run by `podman kube play` (podman 4.3; no
 * Kubernetes cluster runs here): 3 replicas of the image built from the
 * repository, the API token from a Secret, bootstrap by the Service's name.
 * Needs root, podman and busybox-static (skipped with the reason otherwise,
 * never under CI=true); CI runs it in one pass only.
 *
 * What differs from a cluster, because podman 4.3 cannot do it:
 * - No Service (kube play refuses the kind): the pods join a podman network with
 *   the Service's name as a network alias, so `peermon` resolves to every pod, as
 *   the headless Service's name does; PEERMON_BOOTSTRAP is the manifest's.
 * - The Secret is the one kustomization.yaml's secretGenerator makes (`data`,
 *   base64), played with the Deployment; podman writes the value into the file
 *   still base64-encoded (the pods then share that text as their token), and
 *   keeps the secret, and the volume it copies it into, after `kube down`: both
 *   are removed by name.
 * - The emptyDir is a podman named volume, shared by the pods (renamed per run).
 * - containerPort: podman 4.3 publishes it on the host, so `ports` are left out
 *   (the probes name the port by number instead of `api`).
 * - Probes: podman turns the liveness probe into a `curl` health check (not in
 *   the image, and podman's health timers need systemd, absent here); the test
 *   sends the kubelet's request instead: GET http://<pod ip>:5011/api/v0/health,
 *   no token, from another pod.
 * After the test, nothing of it is left: no pod, container, volume, secret,
 * network or image, nor podman's pause image if the test made it (other
 * sessions' objects are left alone).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { parse, stringify } from 'yaml'
import { inCiPass } from '../helpers/ci.js'
import { buildImage, containersSkip, podman, podmanInventory, podmanOk, REPO, type BuiltImage } from '../helpers/containers.js'
import { waitFor } from '../helpers/wait.js'

const skip = containersSkip() || inCiPass(1)

const TAG = `kube-${process.pid}`
const NETWORK = `${TAG}-net`
const SECRET = `${TAG}-token`
const DATA = `${TAG}-data`
const REPLICAS = 3
const TOKEN = randomBytes(16).toString('hex')
const container = (i: number): string => `${TAG}-pod-${i}-peermon`

type Obj = Record<string, any>

/** The manifest as podman 4.3 can play it (see the file's comment), with the Secret it mounts. */
function renderForPodman (image: string): { yaml: string, service: string, graceSeconds: number } {
  const manifest = (name: string): Obj => parse(readFileSync(join(REPO, 'deploy', 'kubernetes', name), 'utf8'), { version: '1.1' })
  const deployment = manifest('deployment.yaml')
  const service = manifest('service.yaml')
  const pod = deployment.spec.template.spec
  const [main] = pod.containers
  const ports = new Map<string, number>(main.ports.map((p: Obj) => [p.name, p.containerPort]))
  deployment.metadata.name = TAG
  deployment.spec.replicas = REPLICAS
  main.image = image
  delete main.ports
  for (const probe of [main.livenessProbe, main.readinessProbe]) probe.httpGet.port = ports.get(probe.httpGet.port) ?? probe.httpGet.port
  const tokenVolume = pod.volumes.find((v: Obj) => v.secret !== undefined)
  const dataVolume = pod.volumes.find((v: Obj) => v.emptyDir !== undefined)
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET }, type: 'Opaque', data: { [tokenVolume.secret.items[0].key]: Buffer.from(TOKEN).toString('base64') } }
  tokenVolume.secret.secretName = SECRET
  for (const mount of main.volumeMounts) if (mount.name === dataVolume.name) mount.name = DATA
  dataVolume.name = DATA
  return { yaml: `${stringify(secret)}---\n${stringify(deployment)}`, service: service.metadata.name, graceSeconds: pod.terminationGracePeriodSeconds }
}

interface PeersView { self: string, peers: Array<{ peer: string, state: string }> }

/** `peermon peers --json` inside a pod: the client finds the API and the token file in the pod's environment. */
async function peersOf (i: number): Promise<PeersView | undefined> {
  const result = await podman(['exec', container(i), 'peermon', 'peers', '--json'], 15_000)
  return result.code === 0 ? JSON.parse(result.stdout) as PeersView : undefined
}

/** An HTTP GET sent from inside pod `from` (node's fetch: the image has no curl): status and body. */
async function fetchFrom (from: number, url: string, token?: string): Promise<{ status: number, body: string }> {
  const headers = token === undefined ? '{}' : JSON.stringify({ authorization: `Bearer ${token}` })
  const script = `fetch(${JSON.stringify(url)}, { headers: ${headers} }).then(async r => console.log(JSON.stringify({ status: r.status, body: await r.text() })))`
  return JSON.parse(await podmanOk(['exec', container(from), 'node', '-e', script], 15_000))
}

describe('deploy/kubernetes with podman kube play', { skip, timeout: 300_000 }, () => {
  let built: BuiltImage | undefined
  let dir: string | undefined
  let file: string | undefined
  let before: string[] = []

  /** Removes all the test made; safe to run twice and after any failure. */
  const cleanUp = async (): Promise<void> => {
    if (file !== undefined) await podman(['kube', 'down', file], 60_000)
    await podman(['volume', 'rm', '--force', DATA, SECRET])
    await podman(['secret', 'rm', SECRET])
    await podman(['network', 'rm', '--force', NETWORK])
    await built?.remove()
    built = undefined
    // The pods' infra image, which podman builds at its first pod: removed if this
    // test brought it (not forced: another session's pods may use it by now).
    for (const line of await podmanInventory()) {
      const [kind, name] = line.split(' ')
      if (before.length > 0 && kind === 'image' && name.startsWith('localhost/podman-pause:') && !before.includes(line)) await podman(['rmi', name])
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  }
  after(cleanUp)

  it('3 replicas find each other through the Service name, answer the probes, leave gracefully, and leave nothing behind', async (t) => {
    const started = Date.now()
    before = await podmanInventory()
    built = await buildImage(TAG)
    t.diagnostic(`image built in ${built.buildSeconds.toFixed(1)} s`)
    const { yaml, service, graceSeconds } = renderForPodman(built.image)
    dir = mkdtempSync(join(tmpdir(), `${TAG}-`))
    file = join(dir, 'peermon.yaml')
    writeFileSync(file, yaml)

    await podmanOk(['network', 'create', NETWORK])
    const played = Date.now()
    await podmanOk(['kube', 'play', '--network', `${NETWORK}:alias=${service}`, file], 120_000)

    // Every daemon monitors the other two, alive.
    await waitFor(`each of ${REPLICAS} pods to see the other ${REPLICAS - 1} alive`, async () => {
      for (let i = 0; i < REPLICAS; i++) {
        const view = await peersOf(i)
        if (view === undefined || view.peers.filter(p => p.state === 'alive').length !== REPLICAS - 1) return false
      }
      return true
    }, 90_000, 1000)
    t.diagnostic(`all ${REPLICAS} pods alive to each other ${((Date.now() - played) / 1000).toFixed(1)} s after kube play`)

    // The security context as applied: read-only root, uid 1000.
    const [inspected] = JSON.parse(await podmanOk(['inspect', container(0)])) as Obj[]
    assert.equal(inspected.HostConfig.ReadonlyRootfs, true)
    assert.match(String(inspected.Config.User), /^1000(:1000)?$/)
    assert.notEqual((await podman(['exec', container(0), 'touch', '/app/written'])).code, 0, 'the root filesystem is read-only')

    // The probes' request as the kubelet sends it: the pod's IP, no token.
    const [other] = JSON.parse(await podmanOk(['inspect', container(1)])) as Obj[]
    const ip = String(other.NetworkSettings.Networks[NETWORK].IPAddress)
    const health = await fetchFrom(0, `http://${ip}:5011/api/v0/health`)
    assert.equal(health.status, 200)
    assert.equal(JSON.parse(health.body).ok, true)
    assert.match(JSON.stringify(inspected.Config.Healthcheck?.Test ?? []), /localhost:5011\/api\/v0\/health/, 'podman made the liveness probe a health check on the same endpoint')
    // /metrics needs the token: what a scrape job must send. The token is the
    // Secret's file; podman 4.3 writes a `data` value still base64-encoded (a
    // cluster decodes it), so the pods agree on that text as their token.
    const tokenFile = (await podmanOk(['exec', container(1), 'cat', String(inspected.Config.Env.find((e: string) => e.startsWith('PEERMON_API_TOKEN_FILE='))).split('=')[1]])).trim()
    assert.ok([TOKEN, Buffer.from(TOKEN).toString('base64')].includes(tokenFile), 'the token file holds the Secret')
    if (tokenFile !== TOKEN) t.diagnostic('podman 4.3 wrote the Secret\'s data base64-encoded into the file (Kubernetes decodes it)')
    assert.equal((await fetchFrom(0, `http://${ip}:5011/metrics`)).status, 401)
    const metrics = await fetchFrom(0, `http://${ip}:5011/metrics`, tokenFile)
    assert.equal(metrics.status, 200)
    assert.match(metrics.body, /^peermon_/m)

    // SIGTERM within terminationGracePeriodSeconds, and the others see a graceful leave.
    const gone = (await peersOf(2))?.self
    const stopStart = Date.now()
    await podmanOk(['stop', '--time', String(graceSeconds), container(2)], (graceSeconds + 30) * 1000)
    const stopSeconds = (Date.now() - stopStart) / 1000
    t.diagnostic(`pod 2 stopped ${stopSeconds.toFixed(1)} s after SIGTERM (grace period ${graceSeconds} s)`)
    assert.ok(stopSeconds < graceSeconds, `stopped within the grace period (${stopSeconds} s)`)
    await waitFor('pod 0 to see pod 2 as left', async () => (await peersOf(0))?.peers.find(p => p.peer === gone)?.state === 'left', 20_000, 500)

    // kube down removes the pods; podman 4.3 keeps the Secret and its volume, removed by name.
    await podmanOk(['kube', 'down', file], 60_000)
    const afterDown = await podmanInventory()
    assert.deepEqual(afterDown.filter(line => /^(container|pod) /.test(line) && line.includes(TAG)), [], 'kube down removed the pods')
    await cleanUp()
    const left = await podmanInventory()
    assert.deepEqual(left.filter(line => line.includes(TAG)), [], 'nothing of this test is left')
    const secrets = await podmanOk(['secret', 'ls', '--format', '{{.Name}}'])
    assert.ok(!secrets.split('\n').includes(SECRET), 'the Secret is removed')
    const appeared = left.filter(line => !before.includes(line))
    if (appeared.length > 0) t.diagnostic(`appeared meanwhile, not named by this test (another session's?): ${appeared.join(', ')}`)
    t.diagnostic(`test took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
})
