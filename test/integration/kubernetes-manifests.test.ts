/**
 * deploy/kubernetes against the Kubernetes API's own schemas, offline
 * (kubernetes-models: the API's OpenAPI schemas, with resource.k8s.io/v1, compiled to ajv
 * validators; @kubernetes-models/prometheus-operator for the ServiceMonitor CRD),
 * and the wiring a user would notice broken: the bootstrap name, the probes, the
 * token, the ports. No cluster is needed; test/serial/kube-play.test.ts runs the
 * Deployment with podman.
 *
 * These schemas, like the API's, allow unknown fields (the API server rejects
 * them only with strict field validation, `kubectl apply` since 1.27): a typo in
 * a field name passes validation, so the fields that matter are checked by name
 * below.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'
import { DAEMON_OPTIONS } from '../../src/daemon/options.js'
import { REPO } from '../helpers/containers.js'

const DIR = join(REPO, 'deploy', 'kubernetes')

type Obj = Record<string, any>

/** Validators by apiVersion/kind; a kind not listed here fails the test. */
const MODELS: Record<string, (data: Obj) => { validate: () => void }> = {
  'v1/Service': (data) => new Service(data as any),
  'apps/v1/Deployment': (data) => new Deployment(data as any),
  'monitoring.coreos.com/v1/ServiceMonitor': (data) => new ServiceMonitor(data as any)
}

/**
 * The documents of a YAML file, read as Kubernetes reads them: YAML 1.1
 * (sigs.k8s.io/yaml), where `0440` is octal; YAML 1.2 would read 440.
 */
function documents (file: string): Obj[] {
  const text = readFileSync(join(DIR, file), 'utf8')
  return parseAllDocuments(text, { version: '1.1' }).map((doc, i) => {
    assert.deepEqual(doc.errors, [], `${file}, document ${i + 1}: YAML errors`)
    return doc.toJS() as Obj
  }).filter(doc => doc !== null)
}

/** Throws the schema's complaint when `doc` is not a valid object of its kind. */
function validate (doc: Obj): void {
  const model = MODELS[`${String(doc.apiVersion)}/${String(doc.kind)}`]
  if (model === undefined) throw new Error(`no schema for apiVersion ${String(doc.apiVersion)} kind ${String(doc.kind)}`)
  model(structuredClone(doc)).validate()
}

const manifestFiles = readdirSync(DIR).filter(name => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort()
const kustomization = documents('kustomization.yaml')[0]
const [service] = documents('service.yaml')
const [deployment] = documents('deployment.yaml')
const [serviceMonitor] = documents('servicemonitor.yaml')
const pod = deployment.spec.template.spec
const container = pod.containers[0]
const env = new Map<string, string>(container.env.map((e: Obj) => [e.name, e.value]))
const containerPort = (name: string): number => container.ports.find((p: Obj) => p.name === name).containerPort

describe('deploy/kubernetes', () => {
  it('every document of every file validates against the API schemas', () => {
    assert.deepEqual(manifestFiles, ['deployment.yaml', 'service.yaml', 'servicemonitor.yaml'])
    for (const file of manifestFiles) {
      const docs = documents(file)
      assert.ok(docs.length > 0, `${file} has no document`)
      for (const doc of docs) {
        assert.doesNotThrow(() => { validate(doc) }, `${file}: ${String(doc.kind)} ${String(doc.metadata?.name)}`)
        assert.equal(doc.metadata?.namespace, undefined, `${file}: no namespace, so -n or kustomize's namespace applies`)
      }
    }
  })

  it('a broken copy fails validation, so the check above can fail', () => {
    const portAsObject = structuredClone(deployment)
    portAsObject.spec.template.spec.containers[0].livenessProbe.httpGet.port = { name: 'api' }
    assert.throws(() => { validate(portAsObject) }, /livenessProbe\/httpGet\/port/)
    const noSelector = structuredClone(deployment)
    delete noSelector.spec.selector
    assert.throws(() => { validate(noSelector) }, /selector/)
    const servicePortAsText = structuredClone(service)
    servicePortAsText.spec.ports[0].port = '4011'
    assert.throws(() => { validate(servicePortAsText) }, /ports\/0\/port/)
    const monitorPortAsNumber = structuredClone(serviceMonitor)
    monitorPortAsNumber.spec.endpoints[0].port = 5011
    assert.throws(() => { validate(monitorPortAsNumber) }, /endpoints\/0\/port/)
    assert.throws(() => { validate({ apiVersion: 'apps/v1', kind: 'StatefulSet' }) }, /no schema/)
  })

  it('kustomization.yaml lists the resources, makes the token Secret the pods mount, and sets no namespace', () => {
    assert.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1')
    assert.equal(kustomization.kind, 'Kustomization')
    assert.equal(kustomization.namespace, undefined)
    assert.deepEqual([...kustomization.resources].sort(), ['deployment.yaml', 'service.yaml'], 'the ServiceMonitor is optional: not in the default resources')
    const [generator] = kustomization.secretGenerator
    const volume = pod.volumes.find((v: Obj) => v.secret !== undefined)
    assert.equal(volume.secret.secretName, generator.name)
    assert.equal(kustomization.generatorOptions.disableNameSuffixHash, true, 'servicemonitor.yaml names the Secret as is')
    const [key, file] = generator.files[0].split('=')
    assert.deepEqual(volume.secret.items, [{ key, path: 'token' }])
    assert.match(readFileSync(join(DIR, '.gitignore'), 'utf8'), new RegExp(`^${file}$`, 'm'), 'the token file is never committed')
    assert.equal(volume.secret.defaultMode, 0o440)
  })

  it('the peers bootstrap from the headless Service by name, on its p2p port', () => {
    assert.equal(service.spec.clusterIP, 'None')
    assert.equal(service.spec.publishNotReadyAddresses, true)
    const p2p = service.spec.ports.find((p: Obj) => p.name === 'p2p')
    assert.equal(env.get('PEERMON_BOOTSTRAP'), `/dns4/${String(service.metadata.name)}/tcp/${String(p2p.port)}`)
    assert.equal(env.get('PEERMON_LISTEN'), `/ip4/0.0.0.0/tcp/${containerPort('p2p')}`)
    for (const [key, value] of Object.entries(service.spec.selector)) {
      assert.equal(deployment.spec.template.metadata.labels[key], value, `the Service selects the pods by ${key}`)
    }
    for (const port of service.spec.ports) assert.equal(containerPort(port.targetPort), port.port)
  })

  it('the probes ask /api/v0/health on the API port, which needs no token', () => {
    const apiPort = Number(env.get('PEERMON_API')?.split(':')[1])
    assert.equal(env.get('PEERMON_API'), `0.0.0.0:${containerPort('api')}`)
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe.httpGet.path, '/api/v0/health')
      assert.equal(typeof probe.httpGet.port === 'string' ? containerPort(probe.httpGet.port) : probe.httpGet.port, apiPort)
    }
  })

  it('the token comes from the Secret, mounted read-only where PEERMON_API_TOKEN_FILE points', () => {
    assert.equal(env.get('PEERMON_API_TOKEN'), undefined)
    const volume = pod.volumes.find((v: Obj) => v.secret !== undefined)
    const mount = container.volumeMounts.find((m: Obj) => m.name === volume.name)
    assert.equal(mount.readOnly, true)
    assert.equal(env.get('PEERMON_API_TOKEN_FILE'), `${String(mount.mountPath)}/${String(volume.secret.items[0].path)}`)
  })

  it('the ports are the Dockerfile\'s EXPOSE, the user is its uid 1000, and every PEERMON_* variable is a daemon option', () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)?.[1].split(/\s+/).sort()
    assert.deepEqual(container.ports.map((p: Obj) => `${String(p.containerPort)}/${String(p.protocol).toLowerCase()}`).sort(), exposed)
    assert.match(dockerfile, /^USER node$/m)
    assert.equal(pod.securityContext.runAsUser, 1000)
    const known = new Set(DAEMON_OPTIONS.map(o => o.env).filter(e => e !== undefined))
    for (const name of env.keys()) assert.ok(known.has(name), `${name} is no daemon option`)
    assert.equal(container.securityContext.readOnlyRootFilesystem, true)
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'])
    assert.equal(container.securityContext.allowPrivilegeEscalation, false)
    const data = container.volumeMounts.find((m: Obj) => m.mountPath === env.get('PEERMON_DATA_DIR'))
    assert.ok(pod.volumes.find((v: Obj) => v.name === data?.name)?.emptyDir !== undefined, 'PEERMON_DATA_DIR is on the emptyDir')
  })

  it('Prometheus finds /metrics on the API port, by annotations or the ServiceMonitor (with the token)', () => {
    const annotations = deployment.spec.template.metadata.annotations
    assert.equal(annotations['prometheus.io/scrape'], 'true')
    assert.equal(Number(annotations['prometheus.io/port']), containerPort('api'))
    assert.equal(annotations['prometheus.io/path'], '/metrics')
    const [endpoint] = serviceMonitor.spec.endpoints
    assert.ok(service.spec.ports.some((p: Obj) => p.name === endpoint.port && p.port === containerPort('api')))
    assert.equal(endpoint.path, '/metrics')
    for (const [key, value] of Object.entries(serviceMonitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[key], value)
    assert.deepEqual(endpoint.authorization.credentials, { name: pod.volumes.find((v: Obj) => v.secret !== undefined).secret.secretName, key: 'token' })
  })
})
