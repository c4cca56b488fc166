/**
 * The client's SSE parser, and its HTTP side against a stand-in API server
 * (node:http on 127.0.0.1, no daemon): error messages a person can act on,
 * the token header, and the event stream ending, breaking or going silent.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ApiClient, ClientError } from '../../src/client/api.js'
import { runClient } from '../../src/client/index.js'
import { parseSse, type SseMessage } from '../../src/client/sse.js'

async function collect (lines: string[]): Promise<SseMessage[]> {
  async function * source (): AsyncGenerator<string> { yield * lines }
  const out: SseMessage[] = []
  for await (const message of parseSse(source())) out.push(message)
  return out
}

describe('parseSse', () => {
  it('dispatches on blank lines, joins data lines, skips comments, keeps ids and drops an unterminated message', async () => {
    assert.deepEqual(await collect([
      'retry: 2000', ': peermon event stream', '',
      'event: alert', 'data: {"a":1}', '',
      ': keepalive', '',
      'data:no space', 'data:  two spaces', 'id: 7', '',
      'event: empty', '',
      'event: cut', 'data: never ended'
    ]), [
      { event: 'alert', data: '{"a":1}' },
      { event: 'message', data: 'no space\n two spaces', id: '7' }
    ])
  })
})

type Handler = (req: IncomingMessage, res: ServerResponse) => void

describe('ApiClient against a stand-in server', () => {
  let server: Server
  let base: string
  let handler: Handler = (_req, res) => { res.end() }
  const open = new Set<ServerResponse>()

  before(async () => {
    server = createServer((req, res) => {
      open.add(res)
      res.once('close', () => { open.delete(res) })
      handler(req, res)
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    for (const res of open) res.destroy()
    await new Promise(resolve => server.close(resolve))
  })

  const json = (status: number, body: unknown): Handler => (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  it('sends the bearer token and returns the JSON body', async () => {
    let auth: string | undefined
    handler = (req, res) => { auth = req.headers.authorization; json(200, { self: 'x', peers: [] })(req, res) }
    const client = new ApiClient({ base, token: 'tok' })
    assert.deepEqual(await client.get('/api/v0/peers'), { self: 'x', peers: [] })
    assert.equal(auth, 'Bearer tok')
  })

  it('turns API errors into one line with the message and status, with a token hint on 401', async () => {
    handler = json(404, { error: 'peer x is not monitored by this node', statusCode: 404 })
    await assert.rejects(new ApiClient({ base }).get('/api/v0/peers/x'), (err: unknown) =>
      err instanceof ClientError && err.status === 404 && err.message === `${base}/api/v0/peers/x: peer x is not monitored by this node (HTTP 404)`)
    handler = json(401, { error: 'this API needs a token: send Authorization: Bearer <token>', statusCode: 401 })
    await assert.rejects(new ApiClient({ base }).get('/api/v0/peers'), /needs a token.*\(HTTP 401\); the daemon wants a token: pass --api-token or set PEERMON_API_TOKEN$/)
    await assert.rejects(new ApiClient({ base, token: 'bad' }).get('/api/v0/peers'), /\(HTTP 401\); check --api-token or PEERMON_API_TOKEN$/)
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>') }
    await assert.rejects(new ApiClient({ base }).get('/api/v0/peers'), /did not answer with JSON; is http:\/\/127\.0\.0\.1:\d+ a peermon daemon's API\?$/)
  })

  it('says when nothing listens, and when the daemon does not answer in time', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise(resolve => closed.close(resolve))
    await assert.rejects(new ApiClient({ base: `http://127.0.0.1:${port}` }).get('/api/v0/peers'),
      new RegExp(`^ClientError: cannot reach the peermon API at http://127\\.0\\.0\\.1:${port}: connection refused \\(is \`peermon daemon\` running with its --api at that address\\?\\)$`))
    handler = () => {}
    await assert.rejects(new ApiClient({ base, timeoutMs: 200 }).get('/api/v0/peers'), /: no answer within 200ms/)
  })

  it('peermon watch prints each event, and exits 1 with a clear line when the stream breaks off', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('retry: 2000\n: hello\n\n')
      res.write(`event: joined\ndata: ${JSON.stringify({ ts: '2025-01-02T03:04:05.678Z', event: 'joined', peer: '12D3KooWpeer' })}\n\n`)
      res.write('event: junk\ndata: not json\n\n')
      setTimeout(() => { res.destroy() }, 100)
    }
    const out: string[] = []
    const io = { stdout: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream, stderr: process.stderr, env: {}, stop: new AbortController().signal }
    await assert.rejects(runClient('watch', ['--api', base, '--json'], io), /^ClientError: the event stream from http:\/\/127\.0\.0\.1:\d+ broke off \(.+\); the daemon stopped or crashed$/)
    assert.deepEqual(out, ['{"ts":"2025-01-02T03:04:05.678Z","event":"joined","peer":"12D3KooWpeer"}\n'])
  })

  it('a stream that ends, or goes silent, is an error; stopping the watch is not', async () => {
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }).end(': bye\n\n') }
    const client = new ApiClient({ base })
    const drain = async (signal: AbortSignal, idleMs: number): Promise<void> => { for await (const _ of client.events('/api/v0/events', signal, idleMs)) { /* nothing */ } }
    await assert.rejects(drain(new AbortController().signal, 5_000), /^ClientError: the event stream from http:\/\/127\.0\.0\.1:\d+ ended; the daemon stopped or crashed$/)
    handler = (_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': hi\n\n') }
    await assert.rejects(drain(new AbortController().signal, 300), /went silent for 300ms \(no keepalives\)/)
    const stop = new AbortController()
    setTimeout(() => { stop.abort() }, 200)
    await drain(stop.signal, 5_000)
    handler = json(200, {})
    await assert.rejects(drain(new AbortController().signal, 5_000), /is not an event stream \(content-type "application\/json"\)/)
  })
})
