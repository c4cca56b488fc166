#!/usr/bin/env node
// Process entry point: polyfills first, then the command dispatcher.
import '../dist/src/polyfills.js'
const { main } = await import('../dist/src/cli.js')
process.exitCode = await main(process.argv.slice(2))
