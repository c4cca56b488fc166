/**
 * The Prometheus files in deploy/prometheus: promtool checks the alerting
 * rules, runs their unit tests (peermon-rules.test.yml) and checks the scrape
 * config; and every `peermon_*` metric the rules name is in a real daemon's
 * /metrics, with every label value they select, so that renaming a metric or a
 * label breaks this test rather than the rules, silently, in production.
 *
 * Without promtool (Debian's `prometheus` package) the promtool test fails when
 * CI is set (.ci/run installs it) and skips otherwise.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { promtoolSkip } from '../helpers/ci.js'
import { listeningApi, startDaemon, type Recorded } from '../helpers/daemons.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DIR = 'deploy/prometheus'
const RULES = `${DIR}/peermon-rules.yml`
/** The token file the config names: the Compose secret, which does not exist here. */
const SECRET = '/run/secrets/peermon_api_token'
const tmp = tempDir('peermon-prometheus-')

interface Run { code: number, output: string }

/** Runs promtool in the repository root; its exit code and everything it printed. */
async function promtool (...args: string[]): Promise<Run> {
  return await new Promise(resolve => {
    execFile('promtool', args, { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, output: `${err != null && typeof err.code !== 'number' ? `${err.message}\n` : ''}${stdout}${stderr}` })
    })
  })
}

/** A selector in the rules: a metric name and its label matchers (`=` and `=~` only). */
interface Selector { name: string, matchers: Array<{ label: string, op: string, value: string }> }

/** Every `peermon_*` name in the rules file (expressions, annotations and comments), with the labels it selects on. */
function selectorsIn (text: string): Selector[] {
  // Annotations quote label values as \"...\" inside YAML strings.
  const plain = text.replace(/\\"/g, '"')
  const selectors: Selector[] = []
  for (const m of plain.matchAll(/(?<![\w])(peermon_[a-z0-9_]+)(\{[^}]*\})?/g)) {
    const matchers = [...(m[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)]
      .map(([, label, op, value]) => ({ label, op, value }))
    selectors.push({ name: m[1], matchers })
  }
  return selectors
}

/** A Prometheus text exposition: metric names (from `# TYPE` lines and samples) and the label sets of each name's samples. */
function parseScrape (text: string): Map<string, Array<Record<string, string>>> {
  const series = new Map<string, Array<Record<string, string>>>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line)
    if (type != null) {
      if (!series.has(type[1])) series.set(type[1], [])
      continue
    }
    const sample = /^([a-zA-Z_:][\w:]*)(\{.*\})? \S+/.exec(line)
    if (sample == null) continue
    const labels: Record<string, string> = {}
    for (const [, label, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label] = value
    const list = series.get(sample[1]) ?? []
    list.push(labels)
    series.set(sample[1], list)
  }
  return series
}

describe('Prometheus rules and scrape config (deploy/prometheus)', () => {
  it('pass promtool: check rules, the rules\' unit tests, check config', { skip: promtoolSkip() }, async () => {
    const rules = await promtool('check', 'rules', RULES)
    assert.equal(rules.code, 0, `promtool check rules:\n${rules.output}`)

    const tests = await promtool('test', 'rules', `${DIR}/peermon-rules.test.yml`)
    assert.equal(tests.code, 0, `promtool test rules:\n${tests.output}`)
    assert.match(tests.output, /SUCCESS/)

    // check config wants the credentials file and the rule files to exist: a copy of the
    // config beside a copy of the rules, with a token file of its own for the secret.
    const config = await readFile(`${ROOT}/${DIR}/prometheus.yml`, 'utf8')
    assert.ok(config.includes(`credentials_file: ${SECRET}`), `prometheus.yml reads the token from ${SECRET}`)
    await writeFile(tmp('token'), 'e2e-token')
    await writeFile(tmp('prometheus.yml'), config.replace(SECRET, tmp('token')))
    await copyFile(`${ROOT}/${RULES}`, tmp('peermon-rules.yml'))
    const checked = await promtool('check', 'config', tmp('prometheus.yml'))
    assert.equal(checked.code, 0, `promtool check config:\n${checked.output}`)
    assert.match(checked.output, /SUCCESS: 1 rule files found/)
  })

  describe('against a real scrape', () => {
    const daemons: Recorded[] = []
    after(async () => { await Promise.all(daemons.map(async d => await d.child.stop())) })

    it('every peermon_* metric the rules name is in a daemon\'s /metrics, with the label values they select', async () => {
      // Per-peer series (peermon_peer_state, peermon_peer_flapping) exist only for a
      // monitored peer: a second daemon bootstraps to the first, whose /metrics is read.
      const daemon = startDaemon(0, ['--api', '127.0.0.1:0'])
      daemons.push(daemon)
      await daemon.child.whenListening(20_000)
      const api = listeningApi(daemon)
      assert.ok(api !== undefined, 'the listening line names the API')
      const peer = startDaemon(1, ['--api', 'off', '--bootstrap', daemon.child.dialAddr ?? ''])
      daemons.push(peer)
      const { peer: peerId } = await peer.child.whenListening(20_000)

      let scrape = new Map<string, Array<Record<string, string>>>()
      await waitFor('the first daemon\'s /metrics to carry the second as a peer', async () => {
        const res = await fetch(`${api}/metrics`)
        assert.equal(res.status, 200)
        scrape = parseScrape(await res.text())
        return (scrape.get('peermon_peer_state') ?? []).some(s => s.peer === peerId)
      }, 30_000, 200)

      const selectors = selectorsIn(await readFile(`${ROOT}/${RULES}`, 'utf8'))
      // The extraction itself works: it finds the metric of the silent-peer alert and its matcher.
      assert.ok(selectors.some(s => s.name === 'peermon_peer_state' && s.matchers.some(m => m.label === 'state' && m.value === 'alerting')))

      const problems: string[] = []
      for (const { name, matchers } of selectors) {
        const samples = scrape.get(name)
        if (samples === undefined) {
          problems.push(`${name}: not in /metrics`)
          continue
        }
        for (const { label, op, value } of matchers) {
          // A regex of plain alternatives (reason=~"admission|budget") names values that must each exist.
          const values = op === '=' ? [value] : op === '=~' && /^[\w-]+(\|[\w-]+)*$/.test(value) ? value.split('|') : []
          for (const v of values) {
            if (!samples.some(s => s[label] === v)) problems.push(`${name}{${label}="${v}"}: no such series in /metrics`)
          }
        }
      }
      assert.deepEqual([...new Set(problems)], [], 'selectors in peermon-rules.yml that a real scrape does not have')
    })
  })
})
