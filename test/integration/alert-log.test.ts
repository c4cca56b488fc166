import assert from 'node:assert/strict'
import { appendFile, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AlertLog, alertLogPart, readAlertLogTail } from '../../src/daemon/alert-log.js'
import { ConfigError } from '../../src/config-error.js'
import type { DaemonContext } from '../../src/daemon/part.js'
import type { EventLine, PeermonEvent } from '../../src/events/event.js'
import { EventRecord } from '../../src/events/record.js'

const dirs: string[] = []
async function tempFile (name = 'alerts.jsonl'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peermon-alert-log-'))
  dirs.push(dir)
  return join(dir, name)
}
after(async () => { await Promise.all(dirs.map(async dir => { await rm(dir, { recursive: true, force: true }) })) })

const line = (i: number, event = 'alert'): string => JSON.stringify({ ts: new Date(1_700_000_000_000 + i).toISOString(), event, peer: `p${i}`, metric: 'ping', lagMs: 1, ttlMs: 1000, silentMs: 1001, lastValue: i })

/** A daemon context with only what the part uses: events in, warnings out. */
function fakeContext (): { ctx: DaemonContext, send: (event: PeermonEvent) => void, warnings: string[], listeners: number } {
  const listeners = new Set<(record: EventRecord) => void>()
  const warnings: string[] = []
  const ctx = {
    onEvent: (listener: (record: EventRecord) => void) => { listeners.add(listener); return () => { listeners.delete(listener) } },
    emit: (event: PeermonEvent) => { if (event.type === 'warning') warnings.push(event.message) }
  } as unknown as DaemonContext
  return {
    ctx,
    send: (event) => { const record = new EventRecord(event); for (const l of listeners) l(record) },
    warnings,
    get listeners () { return listeners.size }
  }
}

describe('AlertLog', () => {
  it('appends lines in order, each batch synced, and flush waits for all of them', async () => {
    const path = await tempFile()
    const log = await AlertLog.open(path)
    for (let i = 0; i < 500; i++) log.append(line(i))
    await log.flush()
    assert.equal(log.written, 500)
    const text = await readFile(path, 'utf8')
    assert.deepEqual(text.trimEnd().split('\n'), Array.from({ length: 500 }, (_, i) => line(i)))
    log.append(line(500))
    await log.close()
    log.append(line(501))
    assert.equal((await readFile(path, 'utf8')).trimEnd().split('\n').length, 501, 'queued lines are written on close; later ones ignored')
  })

  it('append returns before the disk is touched', async () => {
    const path = await tempFile()
    const log = await AlertLog.open(path)
    log.append(line(1))
    assert.equal(log.written, 0, 'not written synchronously')
    await log.close()
    assert.equal(log.written, 1)
  })

  it('keeps appending to an existing file and ends a line cut short by a crash first', async () => {
    const path = await tempFile()
    await writeFile(path, `${line(1)}\n{"ts":"2024-01-01T00:00:00.000Z","ev`)
    const log = await AlertLog.open(path)
    log.append(line(2))
    await log.close()
    const tail = await readAlertLogTail(path)
    assert.deepEqual(tail.events.map(e => e.peer), ['p1', 'p2'])
    assert.equal(tail.corrupt, 1, 'the cut-off line is one corrupt line, the next line intact')
  })

  it('bounds the queue: lines beyond maxPending are dropped, counted, and warned about once', async () => {
    const path = await tempFile()
    const errors: string[] = []
    const log = await AlertLog.open(path, { maxPending: 10, onError: (m) => { errors.push(m) } })
    log.append(line(0)) // starts a write; the next ones queue behind it
    for (let i = 1; i <= 30; i++) log.append(line(i))
    await log.close()
    assert.equal(log.written + log.lost, 31)
    assert.ok(log.lost >= 20, `lost ${log.lost}`)
    assert.equal(errors.length, 1)
    assert.match(errors[0], /waiting for the disk/)
  })
})

describe('readAlertLogTail', () => {
  it('a missing file is an empty log', async () => {
    assert.deepEqual(await readAlertLogTail(await tempFile()), { events: [], corrupt: 0 })
  })

  it('skips and counts corrupt lines: not JSON, not an object, no ts or event, a known event without its fields', async () => {
    const path = await tempFile()
    await writeFile(path, [line(1), 'garbage', '[1,2]', '"text"', 'null', '{"ts":1,"event":"alert"}', '{"event":"alert"}', '{"ts":"x","event":"alert","peer":"p"}', '', '  ', line(2), ''].join('\n'))
    const tail = await readAlertLogTail(path)
    assert.deepEqual(tail.events.map(e => e.peer), ['p1', 'p2'])
    assert.equal(tail.corrupt, 7)
  })

  it('reads at most maxBytes from the end, leaving out the partial first line', async () => {
    const path = await tempFile()
    const lines = Array.from({ length: 100 }, (_, i) => line(i))
    await writeFile(path, lines.join('\n') + '\n')
    const lineBytes = Buffer.byteLength(lines[99]) + 1
    const tail = await readAlertLogTail(path, lineBytes * 10 + 5)
    assert.deepEqual(tail.events.map(e => e.peer), Array.from({ length: 10 }, (_, i) => `p${90 + i}`))
    assert.equal(tail.corrupt, 0, 'the cut first line is not counted as corrupt')
  })

  it('keeps multi-byte characters whole', async () => {
    const path = await tempFile()
    await writeFile(path, JSON.stringify({ ts: 'x', event: 'alert', peer: 'p', metric: 'tag:zone', lagMs: 1, ttlMs: 1000, silentMs: 1001, lastValue: 'zoné 🌍' }) + '\n')
    assert.equal((await readAlertLogTail(path)).events[0].lastValue, 'zoné 🌍')
  })
})

describe('alertLogPart', () => {
  it('hands the existing tail over at start, then logs monitor events (not connection or warning lines) as --json lines', async () => {
    const path = await tempFile()
    await writeFile(path, `${line(1)}\nbroken\n`)
    const tails: Array<[EventLine[], number]> = []
    const part = alertLogPart(path, { onTail: (events, corrupt) => { tails.push([events, corrupt]) } })
    const fake = fakeContext()
    assert.equal(await part.start(fake.ctx), undefined)
    assert.equal(tails.length, 1)
    assert.deepEqual(tails[0][0].map(e => e.peer), ['p1'])
    assert.equal(tails[0][1], 1)
    assert.match(fake.warnings[0], /skipped 1 corrupt line/)

    const events: PeermonEvent[] = [
      { type: 'joined', peer: 'A' },
      { type: 'connected', peer: 'A' },
      { type: 'alert', peer: 'A', metric: 'ping', lagMs: 1.25, ttlMs: 1000, silentMs: 1001.04, lastValue: 3 },
      { type: 'warning', message: 'x' },
      { type: 'recovered', peer: 'A', metric: 'ping', downMs: 2000 },
      { type: 'left', peer: 'A' },
      { type: 'forgotten', peer: 'A', silentMs: 600_000 },
      { type: 'stopping' }
    ]
    for (const event of events) fake.send(event)
    await part.stop()
    assert.equal(fake.listeners, 0, 'unsubscribed on stop')
    const logged = (await readFile(path, 'utf8')).trimEnd().split('\n').slice(2).map(l => JSON.parse(l) as EventLine)
    assert.deepEqual(logged.map(e => e.event), ['joined', 'alert', 'recovered', 'left', 'forgotten'])
    assert.equal(logged[1].lagMs, 1.3, 'the same rounding as the --json line')
    assert.ok(!Number.isNaN(Date.parse(logged[1].ts)))
  })

  it('an unusable path is an operator error naming --alert-log', async () => {
    const dir = await tempFile('dir')
    const part = alertLogPart(join(dir, 'missing-dir', 'log'))
    await assert.rejects(part.start(fakeContext().ctx), (err: Error) => err instanceof ConfigError && /^--alert-log: cannot use ".*": no such file or directory$/.test(err.message))
    if (process.getuid?.() !== 0) {
      const path = await tempFile()
      await appendFile(path, '')
      await chmod(path, 0o200)
      await assert.rejects(alertLogPart(path).start(fakeContext().ctx), /permission denied/)
    }
  })
})
