/**
 * The `peermon` command: dispatches to `daemon` or `swarm`, prints usage and
 * version, and turns errors into one line on stderr and an exit code
 * (2 for operator mistakes, {@link ConfigError}; 1 for anything else).
 */
import { readFileSync } from 'node:fs'
import { ConfigError, daemonHelp, loadDaemonConfig, wantsHelp } from './daemon/config.js'

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
      io.stdout.write(`${readVersion()}\n`)
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
    case 'swarm': {
      const { runSwarm } = await import('./swarm/index.js')
      return await runSwarm(rest)
    }
    default:
      io.stderr.write(`peermon: unknown command ${JSON.stringify(command)} (commands: daemon, swarm, help)\n`)
      return 2
  }
}

/** The version in package.json; this module runs as dist/src/cli.js. */
function readVersion (): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  const { version } = JSON.parse(text) as { version?: unknown }
  if (typeof version !== 'string') throw new Error('package.json has no version')
  return version
}
