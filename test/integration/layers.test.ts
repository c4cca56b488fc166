/**
 * The layers of src/, as docs/architecture.md states them: a module imports
 * only from layers below its own (type-only and dynamic imports included), so
 * no folder imports another that imports it back. Reads the TypeScript
 * sources; a new folder or top-level file must be given a layer here.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url))

/**
 * Each unit (a folder of src/, or a file at its top) and its layer, top first. A unit
 * imports only from units of a higher number; units of the same number do not import
 * each other (the API and the libp2p edge, the daemon and the client).
 */
export const LAYERS: Record<string, number> = {
  // Entries: the command line, the package's entry point, the browser scripts.
  'cli.ts': 0,
  'index.ts': 0,
  dashboard: 0,
  // The local swarm launches daemons (a packed process runs several).
  swarm: 1,
  daemon: 2,
  client: 2,
  // The HTTP API (on the shared HTTP module) and the libp2p edge (node, service, gossipsub tuning).
  api: 3,
  libp2p: 3,
  http: 4,
  // One record per event, rendered for every output; the package's constants, gathered from the core.
  events: 5,
  'constants.ts': 5,
  // The pure core.
  monitor: 6,
  // Small shared modules: flag parsing on top of operator errors and durations.
  'flags.ts': 7,
  'version.ts': 7,
  'polyfills.ts': 7,
  'config-error.ts': 8,
  'duration.ts': 8
}

interface Edge { from: string, to: string, file: string, spec: string }

function sources (dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The unit of a path under `root`: its first folder, or the file itself at the top. */
function unitOf (root: string, path: string): string {
  return relative(root, path).split(sep)[0]
}

/** Every relative import (static, type-only, re-export, dynamic) under `root` that crosses from one unit to another. */
export function crossings (root: string = SRC): Edge[] {
  const files = sources(root)
  const edges: Edge[] = []
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(pattern)) {
      const spec = match[1] ?? match[2]
      const target = normalize(join(dirname(file), spec))
      const from = unitOf(root, file)
      const to = unitOf(root, target.replace(/\.js$/, '.ts'))
      if (from !== to) edges.push({ from, to, file: relative(root, file), spec })
    }
  }
  return edges
}

describe('layers of src/', () => {
  const edges = crossings()

  it('every folder and top-level file of src/ has a layer', () => {
    const units = new Set(readdirSync(SRC).filter(name => name.endsWith('.ts') || statSync(join(SRC, name)).isDirectory()))
    assert.deepEqual([...units].filter(unit => LAYERS[unit] === undefined), [], 'give each a layer in test/integration/layers.test.ts and docs/architecture.md')
  })

  it('imports run one way: from a layer to the layers below it only', () => {
    const against = edges.filter(e => !(LAYERS[e.from] < LAYERS[e.to]))
    assert.deepEqual(against.map(e => `${e.file} imports ${e.spec} (${e.from}, layer ${LAYERS[e.from]} -> ${e.to}, layer ${LAYERS[e.to]})`), [])
  })

  it('no folder-level cycle', () => {
    const next = new Map<string, Set<string>>()
    for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to))
    const cycles = new Set<string>()
    const done = new Set<string>()
    const visit = (unit: string, path: string[]): void => {
      if (path.includes(unit)) {
        const loop = path.slice(path.indexOf(unit))
        const start = loop.indexOf([...loop].sort()[0])
        cycles.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '))
        return
      }
      if (done.has(unit)) return
      for (const to of next.get(unit) ?? []) visit(to, [...path, unit])
      done.add(unit)
    }
    for (const unit of next.keys()) visit(unit, [])
    assert.deepEqual([...cycles], [])
  })

  it('finds each kind of import that runs against the layers (the check can fail)', () => {
    const root = mkdtempSync(join(tmpdir(), 'peermon-layers-'))
    try {
      mkdirSync(join(root, 'monitor'))
      mkdirSync(join(root, 'daemon'))
      writeFileSync(join(root, 'daemon', 'run.ts'), "import { x } from '../monitor/a.js'\n")
      writeFileSync(join(root, 'monitor', 'a.ts'), [
        "import type { Config } from '../daemon/config.js'",
        "export { run } from '../daemon/run.js'",
        "const later = async () => await import('../daemon/hooks.js')",
        "import { near } from './b.js'"
      ].join('\n'))
      const found = crossings(root)
      assert.deepEqual(found.filter(e => !(LAYERS[e.from] < LAYERS[e.to])).map(e => e.spec), ['../daemon/config.js', '../daemon/run.js', '../daemon/hooks.js'])
      assert.deepEqual(found.filter(e => LAYERS[e.from] < LAYERS[e.to]).map(e => e.spec), ['../monitor/a.js'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
