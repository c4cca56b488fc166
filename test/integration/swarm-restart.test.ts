/**
 * Swarm.restart(): a node that ended starts again with the same key file, the
 * port it bound at its first start (now explicit) and the same bootstrap
 * list. Checked with a stand-in daemon that binds "port 0" to a port of its
 * own choosing and echoes its arguments in its listening line.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { boundPort } from '../../src/swarm/launch/daemon-process.js'

const ECHO_DAEMON = `
const argv = process.argv.slice(3)
const listen = argv[argv.indexOf('--listen') + 1]
const port = listen.endsWith('/tcp/0') ? 20000 + (process.pid % 20000) : Number(listen.split('/').at(-1))
const peer = 'fake' + argv[argv.indexOf('--key') + 1].split('/').at(-1)
process.on('SIGTERM', () => process.exit(0))
process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), event: 'listening', peer, addrs: ['/ip4/127.0.0.1/tcp/' + port + '/p2p/' + peer], argv }) + '\\n')
setInterval(() => {}, 1000)
`

let dir: string
let bin: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'peermon-restart-'))
  bin = join(dir, 'echo-daemon.mjs')
  writeFileSync(bin, ECHO_DAEMON)
})
after(() => { rmSync(dir, { recursive: true, force: true }) })

describe('restarting a swarm node', () => {
  it('reuses its key file, the port it bound first and its bootstrap list; refuses a node still running', async () => {
    const argvs: string[][] = []
    const swarm = new Swarm({ nodes: 3, intervalMs: 500, ttlMs: 1500, seed: 1, binPath: bin, perProcess: 1 })
    swarm.onEvent(({ node, event }) => { if (node === 2 && event.event === 'listening') argvs.push(event.argv as string[]) })
    let keyDir: string | undefined
    try {
      await swarm.start()
      const first = swarm.node(2)
      const port = boundPort(first.addrs, '127.0.0.1')
      assert.ok(port !== undefined && port >= 20000)
      await assert.rejects(swarm.restart(2), /node 2 is still running/)
      first.signal('SIGKILL')
      const again = await swarm.restart(2)
      assert.notEqual(again, first)
      assert.equal(again.peer, first.peer)
      assert.equal(argvs.length, 2)
      const [before, after] = argvs
      const value = (argv: string[], flag: string): string[] => argv.flatMap((arg, i) => arg === flag ? [argv[i + 1]] : [])
      assert.deepEqual(value(after, '--key'), value(before, '--key'), 'the same key file')
      keyDir = value(before, '--key')[0].split('/').slice(0, -1).join('/')
      assert.deepEqual(value(before, '--listen'), ['/ip4/127.0.0.1/tcp/0'])
      assert.deepEqual(value(after, '--listen'), [`/ip4/127.0.0.1/tcp/${port}`], 'the port it bound, given explicitly')
      assert.deepEqual(value(after, '--bootstrap'), value(before, '--bootstrap'))
      assert.equal(value(before, '--bootstrap').length, 2)
    } finally {
      await swarm.stop()
    }
    assert.ok(keyDir !== undefined && !existsSync(keyDir), 'the key folder is removed when the swarm stops')
  })
})
