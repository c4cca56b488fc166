/**
 * The `peermon` command: dispatches to `daemon` or `swarm`, prints usage and
 * version, and turns errors into one line on stderr and an exit code
 * (2 for operator mistakes, {@link ConfigError}; 1 for anything else).
 */
import { packageVersion } from './version.js'
import { ConfigError } from './config-error.js'
import { loadDaemonConfig } from './daemon/config.js'
import { daemonHelp } from './daemon/options.js'
import { parseFlags, wantsHelp } from './flags.js'

/** Where the CLI writes and what environment it reads; the process's own by default. */
export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}

const USAGE = `Usage: peermon <command> [options]

Commands:
  daemon    run a monitor node (peermon daemon --help for its options)
  swarm     start a local test swarm (peermon swarm --help)
  keygen    create an identity key or a swarm key (peermon keygen --help)
  peers     list the peers a running daemon monitors (asks its HTTP API)
  alerts    show a running daemon's recent alerts
  metrics   show one metric of every peer: peermon metrics <name>
  watch     follow a running daemon's events live
  health    one line on a running daemon; exit 0 when it answers (health checks)
  help      show this help; help <command> shows the command's help

Options:
  -h, --help   show this help
  --version    print the version

Exit codes: 0 ok, 1 runtime error, 2 bad flags, environment or config file.
Set PEERMON_DEBUG=1 to print stack traces of runtime errors.
`

/**
 * Runs the `peermon` command line (argv without `node` and the script) and
 * resolves with the process exit code. Never throws.
 */
export async function main (argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  try {
    return await dispatch(argv, io)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    io.stderr.write(`peermon: ${message.split('\n')[0]}\n`)
    if (err instanceof ConfigError) return 2
    if (io.env.PEERMON_DEBUG !== undefined && io.env.PEERMON_DEBUG !== '' && err instanceof Error && err.stack !== undefined) {
      io.stderr.write(`${err.stack}\n`)
    }
    return 1
  }
}

async function dispatch (argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (command === 'help' && rest[0] !== undefined) return await dispatch([rest[0], '--help'], io)
      io.stdout.write(USAGE)
      return 0
    case '--version':
      io.stdout.write(`${packageVersion()}\n`)
      return 0
    case 'daemon': {
      if (wantsHelp(rest)) {
        io.stdout.write(daemonHelp())
        return 0
      }
      const config = await loadDaemonConfig(rest, io.env)
      const { runDaemon } = await import('./daemon/run.js')
      return await runDaemon(config)
    }
    case '_pack': {
      // Internal: a packed swarm process, started and driven by `peermon swarm` (src/swarm/packed/pack-command.ts).
      const { runPackProcess } = await import('./swarm/packed/pack-command.js')
      return await runPackProcess()
    }
    case 'swarm': {
      const { runSwarm } = await import('./swarm/index.js')
      return await runSwarm(rest)
    }
    case 'keygen':
      return await keygen(rest, io)
    case 'peers':
    case 'alerts':
    case 'metrics':
    case 'watch':
    case 'health': {
      const { runClient } = await import('./client/index.js')
      return await runClient(command, rest, io)
    }
    default:
      io.stderr.write(`peermon: unknown command ${JSON.stringify(command)} (commands: daemon, swarm, keygen, peers, alerts, metrics, watch, health, help)\n`)
      return 2
  }
}

const KEYGEN_USAGE = `Usage: peermon keygen [--key <file>] [--psk <file>]

Create the secret files of a node, with mode 0600. An existing file is never
overwritten.

Options:
  --key <file>   a new Ed25519 identity key for peermon daemon --key;
                 prints its peer id (for --allow and --allow-file)
  --psk <file>   a new swarm key for peermon daemon --psk (/key/swarm/psk/1.0.0/
                 format); copy it to every node of the private swarm
  -h, --help     show this help
`

const KEYGEN_FLAGS = { key: { value: '<file>' }, psk: { value: '<file>' }, help: { short: 'h' } } as const

/** `peermon keygen`: creates a swarm key and/or an identity key; prints the identity's peer id. */
async function keygen (argv: string[], io: CliIO): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(KEYGEN_USAGE)
    return 0
  }
  const { values } = parseFlags(argv, KEYGEN_FLAGS, { help: 'peermon keygen --help' })
  for (const [flag, value] of [['--key', values.key], ['--psk', values.psk]] as const) {
    if (value === '') throw new ConfigError(`keygen: ${flag}: expected a file name`)
  }
  if (values.key === undefined && values.psk === undefined) throw new ConfigError('keygen: expected --key <file> or --psk <file> (see peermon keygen --help)')
  if (values.psk !== undefined) {
    const { createSwarmKey } = await import('./daemon/psk.js')
    await createSwarmKey(values.psk)
  }
  if (values.key !== undefined) {
    const [{ createNewKey }, { peerIdFromPrivateKey }] = await Promise.all([import('./daemon/keyfile.js'), import('@libp2p/peer-id')])
    const key = await createNewKey(values.key)
    io.stdout.write(`${peerIdFromPrivateKey(key).toString()}\n`)
  }
  return 0
}
