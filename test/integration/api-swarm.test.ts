/**
 * Swarm daemons and the HTTP API's port: every daemon of a local swarm runs
 * with `--api off` (they would all take the default port), unless nodeArgs
 * gives one an API of its own. Checked with a stand-in daemon that echoes its
 * arguments in its listening line.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Swarm } from '../../src/swarm/launch/launcher.js'
import { waitFor } from '../helpers/wait.js'

const ECHO_DAEMON = `
const peer = 'fake' + process.pid
process.on('SIGTERM', () => process.exit(0))
process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), event: 'listening', peer, addrs: ['/ip4/127.0.0.1/tcp/1/p2p/' + peer], argv: process.argv.slice(3) }) + '\\n')
setInterval(() => {}, 1000)
`

let dir: string
let bin: string
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'peermon-api-swarm-'))
  bin = join(dir, 'echo-daemon.mjs')
  writeFileSync(bin, ECHO_DAEMON)
})
after(() => { rmSync(dir, { recursive: true, force: true }) })

describe('swarm daemons and --api', () => {
  it('get --api off, except a node whose nodeArgs give it an --api', async () => {
    const argvs = new Map<number, string[]>()
    const swarm = new Swarm({
      nodes: 3,
      intervalMs: 500,
      ttlMs: 1500,
      seed: 1,
      binPath: bin,
      nodeArgs: (i) => i === 0 ? ['--api', '127.0.0.1:0'] : i === 1 ? ['--api=127.0.0.1:0'] : ['--tag', 'zone=a']
    })
    swarm.onEvent(({ node, event }) => { if (event.event === 'listening') argvs.set(node, event.argv as string[]) })
    try {
      await swarm.start()
      await waitFor('every daemon\'s listening line', () => argvs.size === 3, 10_000)
      const apiArgs = (i: number): string[] => (argvs.get(i) ?? []).flatMap((arg, k, all) => arg === '--api' ? [all[k + 1]] : arg.startsWith('--api=') ? [arg.slice(6)] : [])
      assert.deepEqual(apiArgs(0), ['127.0.0.1:0'])
      assert.deepEqual(apiArgs(1), ['127.0.0.1:0'])
      assert.deepEqual(apiArgs(2), ['off'])
    } finally {
      await swarm.stop()
    }
  })
})
