import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dialView, dialableAddrs } from '../../src/libp2p/dialable.js'

const PEER = '12D3KooWAdEKCwFKUpH3WE4NjyDq9fTzAGna5D3eszyXvnLFHB4v'
const OTHER = '12D3KooWMK26rwPqv6tUBabAgHT6ex5Pgub5LSFJ2fQnyraN6iSY'
const kept = (addrs: string[], own: string[]): string[] => dialableAddrs(PEER, addrs, dialView(own)).map(String)

describe('which stated addresses a node dials', () => {
  it('keeps TCP addresses of the families it has, with the peer id appended', () => {
    const own = ['/ip4/10.0.0.1/tcp/4011', '/ip6/fd00::1/tcp/4011']
    assert.deepEqual(kept(['/ip4/10.0.0.7/tcp/4011', '/ip6/fd00::7/tcp/4011', '/dns4/seed/tcp/4011'], own), [
      `/ip4/10.0.0.7/tcp/4011/p2p/${PEER}`, `/ip6/fd00::7/tcp/4011/p2p/${PEER}`, `/dns4/seed/tcp/4011/p2p/${PEER}`
    ])
    assert.deepEqual(kept(['/ip6/fd00::7/tcp/4011'], ['/ip4/10.0.0.1/tcp/4011']), [], 'no IPv6 address of its own')
    assert.deepEqual(kept([`/ip4/10.0.0.7/tcp/1/p2p/${PEER}`], own).length, 1, 'its own id may be stated')
    assert.deepEqual(kept([`/ip4/10.0.0.7/tcp/1/p2p/${OTHER}`], own), [], 'never another peer\'s id')
  })

  it('dials a loopback address only from a node that listens on that loopback', () => {
    assert.deepEqual(kept(['/ip4/127.0.0.1/tcp/4011'], ['/ip4/10.0.0.1/tcp/4011']), [])
    assert.equal(kept(['/ip4/127.0.0.1/tcp/4011'], ['/ip4/127.0.0.1/tcp/4012']).length, 1)
    assert.equal(kept(['/ip4/127.0.0.1/tcp/4011'], ['/ip4/0.0.0.0/tcp/4012']).length, 1, 'all interfaces include loopback')
    assert.deepEqual(kept(['/ip6/::1/tcp/4011'], ['/ip4/127.0.0.1/tcp/1', '/ip6/fd00::1/tcp/1']), [])
    assert.deepEqual(kept(['/dns4/localhost/tcp/4011'], ['/ip4/10.0.0.1/tcp/4011']), [])
  })

  it('leaves out what it has no transport for and hosts that are nobody', () => {
    const own = ['/ip4/10.0.0.1/tcp/4011', '/ip4/127.0.0.1/tcp/4011', '/ip6/fd00::1/tcp/4011', '/ip6/::1/tcp/4011']
    const refused = [
      '/ip4/10.0.0.7/udp/4011/quic-v1', '/ip4/10.0.0.7/tcp/4011/ws', `/ip4/10.0.0.7/tcp/4011/p2p/${OTHER}/p2p-circuit`,
      '/ip4/0.0.0.0/tcp/4011', '/ip4/224.0.0.1/tcp/4011', '/ip4/255.255.255.255/tcp/4011', '/ip4/169.254.1.1/tcp/4011',
      '/ip6/::/tcp/4011', '/ip6/fe80::1/tcp/4011', '/ip6/ff02::1/tcp/4011',
      '/ip4/10.0.0.7/tcp/0', '/unix/tmp/sock', 'not a multiaddr', '/ip4/10.0.0.7'
    ]
    for (const addr of refused) assert.deepEqual(kept([addr], own), [], addr)
  })

  it('reads its view from its own addresses', () => {
    assert.deepEqual(dialView(['/ip4/127.0.0.1/tcp/1']), { ip4: true, ip6: false, loopback4: true, loopback6: false })
    assert.deepEqual(dialView(['/ip6/::/tcp/1', '/ip4/192.168.1.2/tcp/1', 'junk']), { ip4: true, ip6: true, loopback4: false, loopback6: true })
  })
})
