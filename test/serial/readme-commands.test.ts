/**
 * The README's commands, run as a newcomer runs them: the fenced `sh` blocks of
 * its "Quick start" and the `$ ` transcripts of docs/daemon.md's "Options"
 * section (the daemon's section, moved there from the README), each through
 * `sh -c` from the repository root exactly as written (only the peer id
 * placeholder is filled in, from the first daemon's output). The test knows
 * how many commands each block holds, so a command added to the README fails
 * here until it gets a check.
 *
 * Long-running commands are started, checked for what a user would notice and
 * stopped the way a user stops them (Ctrl-C: SIGINT to the command's process
 * group). Every command runs in a process group of its own, killed in `after`
 * if anything of it is left. The README uses fixed ports (4011, 4012, 5011):
 * the test fails at once, saying so, when one of them is taken.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { delimiter, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, afterEach, before, describe, it } from 'node:test'
import { waitFor } from '../helpers/wait.js'

const README = new URL('../../../README.md', import.meta.url)
/** The daemon's section of the README, moved to its own page. */
const DAEMON_DOC = new URL('../../../docs/daemon.md', import.meta.url)
/** The repository root, where the README's commands run. */
const ROOT = fileURLToPath(new URL('.', README))

/** The README's fixed ports: the quick start's two daemons, and the HTTP API's default. */
const PORTS = [{ host: '0.0.0.0', port: 4011 }, { host: '127.0.0.1', port: 4012 }, { host: '127.0.0.1', port: 5011 }]

/** A busy two-core machine: npx and a daemon's start take seconds, a swarm of ten much longer. */
const START_MS = 60_000
const JOIN_MS = 60_000
const STOP_MS = 15_000
const SWARM_FORM_MS = 150_000
const SCENARIO_MS = 240_000

// ---- The README, read as text ----

/** The text of the `## <heading...>` section, up to the next `## `. */
function section (markdown: string, heading: string, file = 'README'): string {
  const start = markdown.split('\n').findIndex(line => line.startsWith(`## ${heading}`))
  assert.notEqual(start, -1, `${file} has no "## ${heading}" section`)
  const lines = markdown.split('\n').slice(start + 1)
  const end = lines.findIndex(line => line.startsWith('## '))
  return lines.slice(0, end === -1 ? undefined : end).join('\n')
}

/** The fenced code blocks of `text` whose info string is `info` ('' for none). */
function fencedBlocks (text: string, info: string): string[] {
  return [...text.matchAll(/^```([\w-]*)\n([\s\S]*?)^```$/gm)].filter(m => m[1] === info).map(m => m[2])
}

/** The commands of an `sh` block: one per line, a line ending in `\` continuing onto the next (kept as written). */
function shellCommands (block: string): string[] {
  const commands: string[] = []
  let current: string | undefined
  for (const line of block.split('\n')) {
    if (current === undefined && line.trim() === '') continue
    current = current === undefined ? line : `${current}\n${line}`
    if (!line.endsWith('\\')) {
      commands.push(current)
      current = undefined
    }
  }
  return commands
}

/** `$ command` followed by what it prints, from a plain fenced block. */
interface Transcript { command: string, output: string }

function transcripts (text: string): Transcript[] {
  return fencedBlocks(text, '').filter(block => block.startsWith('$ ')).map(block => {
    const [first, ...rest] = block.trimEnd().split('\n')
    return { command: first.slice(2), output: rest.join('\n') }
  })
}

/** The words of a command before its first flag or comment: `npm install`, `npx peermon daemon`. */
function commandName (command: string): string {
  const words = command.trim().split(/\s+/)
  const end = words.findIndex(word => word.startsWith('-') || word.startsWith('#'))
  return words.slice(0, end === -1 ? undefined : end).join(' ')
}

// ---- Commands as child process groups ----

/** The user's environment: ours without what `npm test` and the test runner add, and no PEERMON_* settings. */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) =>
    !/^(npm_lifecycle_|npm_package_|PEERMON_)/.test(name) && !['npm_command', 'INIT_CWD', 'NODE_TEST_CONTEXT'].includes(name))),
  // The Node.js that runs this test runs the commands (`npx` and `peermon` start `node` from PATH).
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  // No "new npm version" notice on stderr: the daemon section shows stderr line for line.
  npm_config_update_notifier: 'false'
}

const shells: Shell[] = []

/** One README command running under `sh -c` in a process group of its own, with everything it printed so far. */
class Shell {
  readonly child: ChildProcess
  readonly pgid: number
  stdout = ''
  stderr = ''
  exit: { code: number | null, signal: NodeJS.Signals | null } | undefined
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  constructor (readonly command: string) {
    this.child = spawn('sh', ['-c', command], { cwd: ROOT, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    if (this.child.pid === undefined) throw new Error(`cannot start sh -c ${command}`)
    this.pgid = this.child.pid
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { this.stdout += chunk })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk })
    this.exited = new Promise(resolve => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal }
        resolve(this.exit)
      })
    })
    shells.push(this)
  }

  /** The first match of `pattern` in stdout; waits for it, failing if the command ends or `timeoutMs` passes first. */
  async waitForOutput (what: string, pattern: RegExp, timeoutMs: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null
    try {
      await waitFor(what, () => {
        match = pattern.exec(this[stream])
        if (match === null && this.exit !== undefined) throw new Error(`the command ended (${JSON.stringify(this.exit)}) before printing ${what}`)
        return match !== null
      }, timeoutMs, 50)
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.describe()}`)
    }
    return match as unknown as RegExpMatchArray
  }

  /** Resolves with the exit once `sh` ended; fails after `timeoutMs`. */
  async finished (timeoutMs: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    await waitFor(`${this.command} to end`, () => this.exit !== undefined, timeoutMs, 50).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.describe()}`)
    })
    return this.exit as { code: number | null, signal: NodeJS.Signals | null }
  }

  /** Sends `signal` to the whole process group (sh, npm, node: what Ctrl-C does in a terminal). */
  signal (signal: NodeJS.Signals): void {
    try { process.kill(-this.pgid, signal) } catch {}
  }

  /** Waits until no process of the group is left (sh, npm, the daemons a swarm started); fails naming those still there. */
  async gone (timeoutMs: number): Promise<void> {
    await waitFor(`every process of "${this.command}" to end`, () => groupMembers(this.pgid).length === 0, timeoutMs, 100).catch((err: Error) => {
      throw new Error(`${err.message}; still running: ${groupMembers(this.pgid).map(p => `${p.pid} ${p.cmd}`).join('; ')}\n${this.describe()}`)
    })
  }

  describe (): string {
    const tail = (text: string): string => text.split('\n').slice(-25).join('\n')
    return `--- ${this.command}\n--- stdout:\n${tail(this.stdout)}\n--- stderr:\n${tail(this.stderr)}`
  }
}

/** The live (not zombie) processes of a process group, from /proc (Linux, as CI). */
function groupMembers (pgid: number): Array<{ pid: number, cmd: string }> {
  const members: Array<{ pid: number, cmd: string }> = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) !== pgid || state === 'Z') continue
      members.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() })
    } catch {} // the process ended while we looked
  }
  return members
}

/** SIGKILL to every command's process group that still has a process in it. */
async function killLeftovers (): Promise<void> {
  const left = shells.filter(shell => groupMembers(shell.pgid).length > 0)
  for (const shell of left) shell.signal('SIGKILL')
  await Promise.all(left.map(async shell => { await shell.gone(STOP_MS).catch(() => {}) }))
}

/** Ctrl-C, as a user stops a long-running command: SIGINT to its group, then every process of it must end. */
async function interrupt (shell: Shell, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  shell.signal(signal)
  await shell.gone(STOP_MS)
}

async function portTaken (host: string, port: number): Promise<string | undefined> {
  const server = createServer()
  return await new Promise(resolve => {
    server.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
    server.listen(port, host, () => { server.close(() => { resolve(undefined) }) })
  })
}

async function getPage (url: string): Promise<{ status: number, type: string | null }> {
  const res = await fetch(url)
  await res.arrayBuffer()
  return { status: res.status, type: res.headers.get('content-type') }
}

/** `…` and the last 8 characters, as the human lines show a peer. */
const short = (peer: string): string => `…${peer.slice(-8)}`
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// ---- The test ----

describe('the README\'s commands, run as written', { timeout: 900_000 }, () => {
  let readme = ''
  let daemonDoc = ''
  before(async () => {
    readme = await readFile(README, 'utf8')
    daemonDoc = await readFile(DAEMON_DOC, 'utf8')
    for (const { host, port } of PORTS) {
      const taken = await portTaken(host, port)
      assert.equal(taken, undefined, `port ${port} on ${host} is taken (${taken}): the README's commands need 4011, 4012 and 5011; stop what holds it and run again`)
    }
  })
  // A check that failed half-way leaves its commands running: kill them before the next one needs the ports.
  afterEach(killLeftovers)
  after(killLeftovers)

  const quickStart = (): { setup: string[], cli: string[] } => {
    const blocks = fencedBlocks(section(readme, 'Quick start'), 'sh').map(shellCommands)
    assert.equal(blocks.length, 2, 'Quick start has two sh blocks: npm, then npx peermon')
    const [setup, cli] = blocks
    assert.deepEqual(setup.map(commandName), ['npm install', 'npm start', 'npm test'], 'the npm block this test knows')
    assert.deepEqual(cli.map(commandName), ['npx peermon daemon', 'npx peermon daemon', 'npx peermon swarm', 'npx peermon swarm'], 'the npx block this test knows')
    return { setup, cli }
  }

  it('Quick start: two daemons see each other, the second serves its API on a free port, Ctrl-C leaves cleanly', async () => {
    const [firstCommand, secondTemplate] = quickStart().cli
    const first = new Shell(firstCommand)
    const [, firstId, firstApi] = await first.waitForOutput('the first daemon\'s listening line with its dashboard',
      /^\S+ listening +(12D3KooW\w+) on .*\/ip4\/127\.0\.0\.1\/tcp\/4011\/p2p\/\1.*; dashboard (http:\/\/127\.0\.0\.1:5011)\/$/m, START_MS)
    assert.deepEqual(await getPage(`${firstApi}/`), { status: 200, type: 'text/html; charset=utf-8' }, 'the dashboard it names is served')

    assert.match(secondTemplate, /<peer id printed by the first>/, 'the second command has the placeholder this test fills in')
    const second = new Shell(secondTemplate.replace('<peer id printed by the first>', firstId))
    const [, fallbackApi] = await second.waitForOutput('the second daemon\'s warning that port 5011 is taken',
      /^\S+ warning +API port 5011 in use; serving the API on (http:\/\/127\.0\.0\.1:\d+) instead$/m, START_MS)
    const [, secondId] = await second.waitForOutput('the second daemon\'s listening line with its dashboard',
      new RegExp(`^\\S+ listening +(12D3KooW\\w+) on .*/ip4/127\\.0\\.0\\.1/tcp/4012/p2p/\\1.*; dashboard ${escape(fallbackApi)}/$`, 'm'), START_MS)
    assert.deepEqual(await getPage(`${fallbackApi}/`), { status: 200, type: 'text/html; charset=utf-8' }, 'the second daemon\'s dashboard is served')

    await first.waitForOutput('the first daemon\'s joined line for the second', new RegExp(`^\\S+ joined +${escape(short(secondId))}$`, 'm'), JOIN_MS)
    await second.waitForOutput('the second daemon\'s joined line for the first', new RegExp(`^\\S+ joined +${escape(short(firstId))}$`, 'm'), JOIN_MS)

    await interrupt(first)
    assert.match(first.stdout, /^\S+ stopping$/m, 'the first daemon says it stops')
    await second.waitForOutput('the second daemon\'s left line for the first', new RegExp(`^\\S+ left +${escape(short(firstId))}$`, 'm'), JOIN_MS)
    assert.doesNotMatch(second.stdout, / alert /, 'a clean stop raises no alert')
    await interrupt(second)
    assert.match(second.stdout, /^\S+ stopping$/m)
    assert.equal(first.stderr + second.stderr, '', 'nothing on stderr')
  })

  it('Quick start: npm start runs one daemon on the defaults (npm install and npm test are not run)', async () => {
    // `npm install` is what gave this checkout its node_modules and dist/ already; `npm test` would run this test again.
    const start = quickStart().setup.find(command => commandName(command) === 'npm start') ?? ''
    const shell = new Shell(start)
    await shell.waitForOutput('the listening line on the default address, with the dashboard on the default port',
      /^\S+ listening +(12D3KooW\w+) on .*\/tcp\/4011\/p2p\/\1.*; dashboard http:\/\/127\.0\.0\.1:5011\/$/m, START_MS)
    assert.equal((await getPage('http://127.0.0.1:5011/')).status, 200)
    await interrupt(shell, 'SIGTERM')
    assert.match(shell.stdout, /^\S+ stopping$/m)
  })

  it('the daemon\'s options (docs/daemon.md): each command shown with a `$` prompt prints what the page shows and exits 2', async () => {
    const shown = transcripts(section(daemonDoc, 'Options', 'docs/daemon.md'))
    assert.deepEqual(shown.map(t => commandName(t.command)), ['npx peermon daemon'], 'the transcripts this test knows')
    for (const { command, output } of shown) {
      const shell = new Shell(command)
      const exit = await shell.finished(START_MS)
      assert.deepEqual(exit, { code: 2, signal: null }, `"${command}" exits 2, a bad flag\n${shell.describe()}`)
      assert.equal((shell.stdout + shell.stderr).trimEnd(), output, `"${command}" prints what docs/daemon.md shows`)
    }
  })

  it('Quick start: swarm --nodes 10 shows every node hearing from every other; Ctrl-C stops all of them', async () => {
    const command = quickStart().cli[2]
    const nodes = Number(/--nodes (\d+)/.exec(command)?.[1])
    const pairs = nodes * (nodes - 1)
    const shell = new Shell(command)
    await shell.waitForOutput(`the live view with all ${nodes} nodes running and every one of the ${pairs} pairs seen`,
      new RegExp(`running ${nodes}/${nodes}, peers seen ${pairs}/${pairs}, alerting 0`), SWARM_FORM_MS)
    await interrupt(shell)
    assert.match(shell.stderr, new RegExp(`stopping ${nodes} nodes`))
  })

  it('Quick start: swarm --nodes 10 --scenario crash passes and prints its table', async () => {
    const command = quickStart().cli[3]
    const nodes = Number(/--nodes (\d+)/.exec(command)?.[1])
    const shell = new Shell(command)
    const exit = await shell.finished(SCENARIO_MS)
    assert.deepEqual(exit, { code: 0, signal: null }, `the scenario passes\n${shell.describe()}`)
    assert.match(shell.stdout, /^node +peer +detected +lag after expiry/m, 'the table\'s header')
    assert.equal(shell.stdout.split('\n').filter(line => /^\d+ +\S+ +alert +.* ok$/.test(line)).length, nodes - 1, `a row per survivor, each ok\n${shell.stdout}`)
    assert.match(shell.stdout, new RegExp(`^crash of node \\d+ \\(\\S+\\), detected ${nodes - 1}/${nodes - 1}, .*false alerts 0: PASS$`, 'm'))
    await shell.gone(STOP_MS)
  })
})
