import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { describe, it } from 'node:test'
import { DEFAULT_METRIC_TTL_MS, Informers } from '../../src/monitor/informers.js'
import { validateReport } from '../../src/monitor/report.js'
import type { Metric } from '../../src/monitor/types.js'

function byName (metrics: Metric[]): Record<string, Metric> {
  return Object.fromEntries(metrics.map((m) => [m.name, m]))
}

describe('Informers', () => {
  it('collects ping, load, memory, freespace, peers and tags, each with the TTL', async () => {
    const informers = new Informers({ ttlMs: 5_000, dataDir: tmpdir(), connectedPeers: () => 3, tags: { zone: 'eu', role: 'storage' } })
    const metrics = byName(await informers.collect())
    assert.deepEqual(Object.keys(metrics).sort(), ['freespace', 'load', 'memory', 'peers', 'ping', 'tag:role', 'tag:zone'])
    assert.ok(Object.values(metrics).every((m) => m.ttlMs === 5_000))
    assert.equal(typeof metrics.ping.value, 'number')
    assert.ok((metrics.ping.value as number) >= 0)
    assert.ok((metrics.memory.value as number) > 0)
    assert.ok((metrics.freespace.value as number) > 0)
    assert.equal(metrics.peers.value, 3)
    assert.equal(metrics['tag:zone'].value, 'eu')
  })

  it('leaves out freespace and peers when not configured, and defaults the TTL', async () => {
    const metrics = await new Informers().collect()
    assert.deepEqual(metrics.map((m) => m.name).sort(), ['load', 'memory', 'ping'])
    assert.ok(metrics.every((m) => m.ttlMs === DEFAULT_METRIC_TTL_MS))
  })

  it('skips an informer that throws or fails, and still reports the others', async () => {
    const errors: string[] = []
    const informers = new Informers({
      dataDir: '/nonexistent/peermon-test-dir',
      connectedPeers: () => { throw new Error('no node yet') },
      onInformerError: (name) => { errors.push(name) }
    })
    const metrics = await informers.collect()
    assert.deepEqual(metrics.map((m) => m.name).sort(), ['load', 'memory', 'ping'])
    assert.deepEqual(errors.sort(), ['freespace', 'peers'])
  })

  it('skips an informer that returns an invalid value', async () => {
    const errors: string[] = []
    const informers = new Informers({ connectedPeers: () => NaN, onInformerError: (name) => { errors.push(name) } })
    assert.equal(byName(await informers.collect()).peers, undefined)
    assert.deepEqual(errors, ['peers'])
  })

  it('publishes custom metrics until deleted, with their own or the default TTL', async () => {
    const informers = new Informers({ ttlMs: 2_000 })
    informers.setMetric('queue/depth', 12)
    informers.setMetric('build', 'v1.2.3', 60_000)
    informers.setMetric('queue/depth', 13)
    let metrics = byName(await informers.collect())
    assert.deepEqual(metrics['queue/depth'], { name: 'queue/depth', value: 13, ttlMs: 2_000 })
    assert.deepEqual(metrics.build, { name: 'build', value: 'v1.2.3', ttlMs: 60_000 })
    assert.equal(informers.deleteMetric('build'), true)
    assert.equal(informers.deleteMetric('build'), false)
    metrics = byName(await informers.collect())
    assert.equal(metrics.build, undefined)
  })

  it('refuses custom metrics receivers would drop, with a clear RangeError', () => {
    const informers = new Informers()
    assert.throws(() => informers.setMetric('bad name', 1), { name: 'RangeError', message: /"bad name".*name must be 1\.\.64 characters/ })
    assert.throws(() => informers.setMetric('x', NaN), { name: 'RangeError', message: /finite number/ })
    assert.throws(() => informers.setMetric('x', 'y'.repeat(257)), { name: 'RangeError', message: /at most 256/ })
    assert.throws(() => informers.setMetric('x', 1, 50), { name: 'RangeError', message: /ttl must be .*\[100, 86400000\], got 50/ })
    assert.throws(() => informers.setMetric('ping', 1), { name: 'RangeError', message: /reserved/ })
    assert.throws(() => informers.setMetric('tag:zone', 'eu'), { name: 'RangeError', message: /reserved/ })
    assert.throws(() => new Informers({ ttlMs: 10 }), RangeError)
    assert.throws(() => new Informers({ tags: { 'bad key': 'x' } }), { name: 'RangeError', message: /tag "bad key"/ })
  })

  it('never lets a report exceed the metric bound receivers enforce', async () => {
    const informers = new Informers({ connectedPeers: () => 1 })
    let added = 0
    assert.throws(() => { for (;; added++) informers.setMetric(`custom${added}`, added) }, { name: 'RangeError', message: /too many metrics/ })
    const metrics = await informers.collect()
    assert.equal(metrics.length, 64)
    const reason = validateReport({ version: 1, kind: 'metrics', peer: 'me', epoch: 1, seq: 1, sentAt: 1, intervalMs: 1, metrics })
    assert.equal(reason, undefined)
  })
})

describe('Informers with a slow informer', () => {
  it('does not hold up the report: the last value goes out, and only one reading runs at a time', async () => {
    let calls = 0
    let release: ((n: number) => void) | undefined
    const informers = new Informers({
      ttlMs: 3000,
      readTimeoutMs: 30,
      connectedPeers: async () => {
        calls++
        if (calls === 1) return 4
        return await new Promise<number>(resolve => { release = resolve })
      }
    })
    const first = await informers.collect()
    assert.equal(first.find(m => m.name === 'peers')?.value, 4)
    const started = Date.now()
    const second = await informers.collect()
    assert.ok(Date.now() - started < 5_000, 'collect() returned without waiting for the stalled reading (which never ends)')
    assert.equal(second.find(m => m.name === 'peers')?.value, 4, 'the last good value')
    assert.ok(second.some(m => m.name === 'ping'), 'the heartbeat is there')
    await informers.collect()
    assert.equal(calls, 2, 'no second reading while the first is stalled')
    release?.(7)
    await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal((await informers.collect()).find(m => m.name === 'peers')?.value, 7)
  })

  it('skips an informer that throws synchronously, and reads it again next time', async () => {
    let calls = 0
    const informers = new Informers({ connectedPeers: () => { calls++; if (calls === 1) throw new Error('boom'); return 2 } })
    assert.equal((await informers.collect()).find(m => m.name === 'peers'), undefined)
    assert.equal((await informers.collect()).find(m => m.name === 'peers')?.value, 2)
  })
})
