import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli.js'

const BIN = fileURLToPath(new URL('../../../bin/peermon.js', import.meta.url))
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url))

/** Output collected from a stream. */
class Capture extends Writable {
  text = ''
  override _write (chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

async function run (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new Capture()
  const stderr = new Capture()
  const code = await main(argv, { stdout, stderr, env })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

/** The environment without PEERMON_* variables, so the caller's shell cannot change the outcome. */
function cleanEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PEERMON_')))
}

async function spawnCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { env: cleanEnv(), timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

describe('peermon command dispatch', () => {
  it('prints usage with no arguments, help, --help and -h', async () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) {
      const { code, stdout, stderr } = await run(argv)
      assert.equal(code, 0)
      assert.match(stdout, /^Usage: peermon <command>/)
      assert.match(stdout, /daemon/)
      assert.match(stdout, /swarm/)
      assert.equal(stderr, '')
    }
  })

  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string }
    const { code, stdout } = await run(['--version'])
    assert.equal(code, 0)
    assert.equal(stdout, `${version}\n`)
  })

  it('prints the daemon help for daemon --help and help daemon, even after other flags', async () => {
    for (const argv of [['daemon', '--help'], ['daemon', '-h'], ['help', 'daemon'], ['daemon', '--interval', 'nope', '--help']]) {
      const { code, stdout } = await run(argv)
      assert.equal(code, 0)
      assert.match(stdout, /^Usage: peermon daemon \[options\]/)
      assert.match(stdout, /--interval <duration>/)
    }
  })

  it('rejects an unknown command with one line and exit code 2', async () => {
    const { code, stdout, stderr } = await run(['deamon'])
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.equal(stderr, 'peermon: unknown command "deamon" (commands: daemon, swarm, keygen, peers, alerts, metrics, watch, health, help)\n')
  })

  it('turns a bad daemon flag or env variable into one line and exit code 2', async () => {
    const flag = await run(['daemon', '--interval', 'nope'])
    assert.equal(flag.code, 2)
    assert.equal(flag.stderr, 'peermon: --interval: expected a duration like 250ms, 2s or 1m, got "nope"\n')
    const env = await run(['daemon'], { PEERMON_WINDOW: 'many' })
    assert.equal(env.code, 2)
    assert.match(env.stderr, /^peermon: PEERMON_WINDOW: expected a whole number from 1 to 1000, got "many"\n$/)
  })

  it('refuses an explicit TTL under 1.5 intervals in one line, exit code 2', async () => {
    const short = await run(['daemon', '--ttl', '2s', '--interval', '2s'])
    assert.equal(short.code, 2)
    assert.equal(short.stderr, 'peermon: --ttl: must be at least 1.5 times the interval (2s), got 2s\n')
  })
})

describe('bin/peermon.js (child process)', () => {
  it('exits 2 with a single stderr line naming --interval on a bad duration', async () => {
    const { code, stdout, stderr } = await spawnCli(['daemon', '--interval', 'nope'])
    assert.equal(code, 2)
    assert.equal(stdout, '')
    const lines = stderr.split('\n').filter(line => line !== '')
    assert.equal(lines.length, 1, stderr)
    assert.match(lines[0], /^peermon: --interval: /)
  })

  it('exits 0 on --help', async () => {
    const { code, stdout } = await spawnCli(['--help'])
    assert.equal(code, 0)
    assert.match(stdout, /^Usage: peermon/)
  })
})
