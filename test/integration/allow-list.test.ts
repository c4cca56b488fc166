import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { loadAllowList, parseAllowFile } from '../../src/daemon/access.js'
import { isConfigError } from '../helpers/config-error.js'
import { tempDir } from '../helpers/tmp.js'

const A = '12D3KooWDNgM9EdmQPMmtKkMEaxzhas85p14xwbFGVwYwSCMTYHe'
const B = '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9apN9anj8zRYK'
const B_CID = 'bafzaajaiaejca3ujvgwnf2yjw4fwn3qbfsrm2z2qjuqs7dijtxa5iwy74h3ef7wq' // B as a CIDv1

const tmp = tempDir('peermon-allow-')

describe('allow-list', () => {
  it('reads one peer id per line, skipping comments and blank lines', () => {
    const text = `# ops team\n\n  ${A}   # alice\r\n\t${B}\n#${B}\n`
    assert.deepEqual(parseAllowFile(text, 'peers.txt'), [A, B])
  })

  it('names the file and line of a bad entry', () => {
    assert.throws(() => parseAllowFile(`${A}\n\n12D3KooWnope\n`, 'peers.txt'),
      isConfigError(/^--allow-file: peers\.txt:3: expected a peer id like 12D3KooW\.\.\., got "12D3KooWnope"$/))
    assert.throws(() => parseAllowFile(`${A} ${B}\n`, 'peers.txt'), isConfigError(/^--allow-file: peers\.txt:1: /))
  })

  it('merges --allow and --allow-file into canonical peer ids, without duplicates', async () => {
    const file = tmp('peers.txt')
    await writeFile(file, `${A}\n${B_CID}\n`)
    assert.deepEqual(await loadAllowList({ allow: [B], allowFile: file, bootstrap: [] }), [B, A])
    assert.deepEqual(await loadAllowList({ allow: [], bootstrap: [] }), [], 'none: everyone is allowed')
  })

  it('refuses an allow-file that lists nobody, or that cannot be read', async () => {
    const empty = tmp('empty.txt')
    await writeFile(empty, '# nobody yet\n')
    await assert.rejects(loadAllowList({ allow: [], allowFile: empty, bootstrap: [] }), isConfigError(/^--allow-file: .*empty\.txt lists no peer id; an empty allow-list would let everyone in/))
    assert.deepEqual(await loadAllowList({ allow: [A], allowFile: empty, bootstrap: [] }), [A])
    await assert.rejects(loadAllowList({ allow: [], allowFile: tmp('missing.txt'), bootstrap: [] }), isConfigError(/^--allow-file: cannot read .*missing\.txt: no such file or directory$/))
  })

  it('refuses a bootstrap peer the allow-list leaves out', async () => {
    await assert.rejects(loadAllowList({ allow: [A], bootstrap: [`/ip4/127.0.0.1/tcp/4011/p2p/${B}`] }),
      isConfigError(new RegExp(`^--bootstrap: ${B} is not in the allow-list`)))
    assert.deepEqual(await loadAllowList({ allow: [A, B], bootstrap: [`/ip4/127.0.0.1/tcp/4011/p2p/${B}`] }), [A, B])
  })
})
