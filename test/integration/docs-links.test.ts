/**
 * Every relative link and anchor of the docs resolves: README.md, CONTRIBUTING.md,
 * SECURITY.md and docs/*.md (test/helpers/doc-links.ts says what counts).
 * Reads files only: no network, no process.
 */
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { anchors, brokenLinks, diskTree, githubSlug, memoryTree, relativeLinks } from '../helpers/doc-links.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DOCS = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md',
  ...readdirSync(new URL('docs/', `file://${ROOT}`)).filter(name => name.endsWith('.md')).sort().map(name => `docs/${name}`)]

describe('docs links', () => {
  it('every relative link and anchor in README.md, CONTRIBUTING.md, SECURITY.md and docs/*.md resolves', () => {
    const tree = diskTree(ROOT)
    assert.ok(DOCS.length >= 7, `the docs this test knows: ${DOCS.join(', ')}`)
    const broken = DOCS.flatMap(file => brokenLinks(file, tree))
    assert.deepEqual(broken.map(b => `${b.file}:${b.line}: [${b.text}](${b.target}): ${b.reason}`), [])
  })

  it('slugs headings as GitHub does', () => {
    assert.equal(githubSlug('The daemon: `peermon daemon`'), 'the-daemon-peermon-daemon')
    assert.equal(githubSlug('Events (`--json`)'), 'events---json')
    assert.equal(githubSlug('A swarm that heals itself (issue 18)'), 'a-swarm-that-heals-itself-issue-18')
    assert.equal(githubSlug('**Bold** and [a link](x.md), 10 % of it'), 'bold-and-a-link-10--of-it')
    assert.equal(githubSlug('peer_state & Co.'), 'peer_state--co')
    const doc = '# Title\n## Setup\n## Setup\n```sh\n# not a heading\n```\n### Setup\n'
    assert.deepEqual([...anchors(doc)], ['title', 'setup', 'setup-1', 'setup-2'])
  })

  it('finds links outside code only, and leaves external ones alone', () => {
    const doc = [
      'See [a](a.md), [`code` in text](b.md#x) and ![img](pic.png).',
      '`[not](a-link.md)`, [web](https://example.com/x.md), [mail](mailto:a@b.c)',
      '```md', '[inside](fence.md)', '```'
    ].join('\n')
    assert.deepEqual(relativeLinks(doc).map(l => `${l.line} ${l.target}`), ['1 a.md', '1 b.md#x', '1 pic.png'])
  })

  it('fails on a missing file, a missing anchor in another file and a missing anchor in the same file', () => {
    const tree = memoryTree({
      'README.md': [
        '# Read me', '## Quick start',
        'Fine: [ok](docs/guide.md#the-daemon-peermon-daemon), [here](#quick-start), [folder](docs/), [up](../README.md).',
        'Broken: [gone](docs/missing.md), [bad anchor](docs/guide.md#no-such-heading), [self](#nowhere).'
      ].join('\n'),
      'docs/guide.md': '# Guide\n## The daemon: `peermon daemon`\nBack to [the start](../README.md#quick-start), [wrong](../README.md#quick-start-1).\n'
    })
    assert.deepEqual(brokenLinks('README.md', tree).map(b => `${b.line} ${b.target}: ${b.reason}`), [
      '3 ../README.md: ../README.md is outside the repository',
      '4 docs/missing.md: no file docs/missing.md',
      '4 docs/guide.md#no-such-heading: no heading #no-such-heading in docs/guide.md',
      '4 #nowhere: no heading #nowhere in README.md'
    ])
    assert.deepEqual(brokenLinks('docs/guide.md', tree).map(b => `${b.line} ${b.target}: ${b.reason}`), [
      '3 ../README.md#quick-start-1: no heading #quick-start-1 in README.md'
    ])
  })
})
