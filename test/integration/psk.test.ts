import assert from 'node:assert/strict'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { preSharedKey } from '@libp2p/pnet'
import { createSwarmKey, generateSwarmKey, loadSwarmKey, parseSwarmKey } from '../../src/daemon/psk.js'
import { isConfigError } from '../helpers/config-error.js'
import { tempDir } from '../helpers/tmp.js'

const posix = process.platform !== 'win32'
const tmp = tempDir('peermon-psk-')

const HEX = 'dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d'

describe('swarm key', () => {
  it('generates the standard /key/swarm/psk/1.0.0/ format, which @libp2p/pnet accepts', () => {
    const key = generateSwarmKey()
    assert.match(new TextDecoder().decode(key), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    assert.doesNotThrow(() => preSharedKey({ psk: key })({ logger: { forComponent: () => ({}) } } as any))
    assert.notDeepEqual(generateSwarmKey(), key, 'random each time')
  })

  it('parses a key file with CRLF, upper-case hex or no final newline into one canonical form', () => {
    const canonical = `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\n`
    for (const text of [canonical, canonical.trimEnd(), canonical.replace(/\n/g, '\r\n'), canonical.replace(HEX, HEX.toUpperCase())]) {
      const parsed = parseSwarmKey(text)
      assert.ok(parsed.ok, JSON.stringify(text))
      assert.equal(new TextDecoder().decode(parsed.psk), canonical)
    }
  })

  it('names what is wrong with a malformed key', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /first line/],
      [`/key/swarm/psk/2.0.0/\n/base16/\n${HEX}`, /first line/],
      [`/key/swarm/psk/1.0.0/\n/base64/\n${HEX}`, /second line .*base16/],
      ['/key/swarm/psk/1.0.0/\n/base16/\nabcd', /64 hex digits/],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(1)}z`, /64 hex digits/],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\nmore`, /three lines/]
    ]
    for (const [text, reason] of cases) {
      const parsed = parseSwarmKey(text)
      assert.ok(!parsed.ok, JSON.stringify(text))
      assert.match(parsed.reason, reason)
    }
  })

  it('creates a key file with mode 0600 and never overwrites one', async () => {
    const path = tmp('sub', 'swarm.key')
    await createSwarmKey(path)
    if (posix) assert.equal((await stat(path)).mode & 0o777, 0o600)
    const first = await readFile(path)
    await assert.rejects(createSwarmKey(path), isConfigError(/swarm key file .*swarm\.key already exists; not overwriting it/))
    assert.deepEqual(await readFile(path), first)
    assert.deepEqual(await loadSwarmKey(path, { allowInsecure: false }), new Uint8Array(first))
  })

  it('refuses a key file group or others can read, unless allowed', { skip: !posix }, async () => {
    const path = tmp('open.key')
    await createSwarmKey(path)
    await chmod(path, 0o640)
    await assert.rejects(loadSwarmKey(path, { allowInsecure: false }),
      isConfigError(new RegExp(`^--psk: permissions 0640 for '${path}' are too open; run chmod 600 ${path} or pass --allow-insecure-key$`)))
    assert.ok((await loadSwarmKey(path, { allowInsecure: true })).length > 0)
  })

  it('refuses a missing or malformed key file with one line naming --psk', async () => {
    await assert.rejects(loadSwarmKey(tmp('missing.key'), { allowInsecure: false }),
      isConfigError(/^--psk: no swarm key file .*missing\.key; create one with peermon keygen --psk/))
    const bad = tmp('bad.key')
    await writeFile(bad, 'not a key\n', { mode: 0o600 })
    await assert.rejects(loadSwarmKey(bad, { allowInsecure: false }), isConfigError(/^--psk: .*bad\.key is not a swarm key: the first line is not \/key\/swarm\/psk\/1\.0\.0\//))
    await assert.rejects(loadSwarmKey(tmp(), { allowInsecure: false }), isConfigError(/^--psk: swarm key file .* is not a regular file$/))
  })
})
