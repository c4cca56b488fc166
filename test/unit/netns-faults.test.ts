/**
 * The pure parts of the network-namespace LAN: who owns a name (so a later
 * start removes a dead launcher's leftovers and nobody else's), and the rules
 * each link fault writes. test/serial/netns.test.ts runs them on a real kernel.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FAULT_TABLE, linkCounters, NO_FAULTS, nftScript, tbfArgs } from '../../src/swarm/netns/link-faults.js'
import { bridgeName, deadOwnersNames, hostName, isProcessAlive, MAX_LINK_NAME, ownerOf } from '../../src/swarm/netns/names.js'
import { lanAddress } from '../../src/swarm/netns/lan.js'

describe('LAN names and their owners', () => {
  it('names carry the launcher pid and fit an interface name', () => {
    assert.equal(hostName(4242, 0), 'pm-4242-0')
    assert.equal(bridgeName(4242), 'pm-4242-br')
    const largestPid = 4_194_304
    assert.ok(hostName(largestPid, 999).length <= MAX_LINK_NAME)
    assert.ok(bridgeName(largestPid).length <= MAX_LINK_NAME)
    assert.throws(() => hostName(1, 1000), RangeError)
    assert.equal(ownerOf('pm-4242-17'), 4242)
    assert.equal(ownerOf('pm-4242-br'), 4242)
    for (const foreign of ['eth0', 'pm-br0', 'pm-x-1', 'pm-4242-17x', 'xpm-4242-1', 'pm-4242-']) assert.equal(ownerOf(foreign), undefined, foreign)
  })

  it('a dead launcher\'s names are leftovers; a live one\'s, our own and foreign names are not', () => {
    const dead = 999_991
    const live = 999_992
    const self = 999_993
    const names = [hostName(dead, 0), hostName(dead, 1), bridgeName(dead), hostName(live, 0), bridgeName(live), hostName(self, 0), 'eth0', 'docker0']
    const asked: number[] = []
    const leftovers = deadOwnersNames(names, (pid) => { asked.push(pid); return pid === live }, self)
    assert.deepEqual(leftovers, ['pm-999991-0', 'pm-999991-1', 'pm-999991-br'])
    assert.deepEqual(asked.sort(), [dead, live], 'each owner is checked once; our own pid never')
  })

  it('tells a live process from a dead one', () => {
    assert.equal(isProcessAlive(process.pid), true)
    assert.equal(isProcessAlive(1), true, 'pid 1 exists (EPERM when we may not signal it counts as alive)')
    assert.equal(isProcessAlive(2 ** 22 + 1), false, 'above Linux\'s largest pid')
  })

  it('gives node i the address 10.77.x.y, i + 1 counted from 10.77.0.0', () => {
    assert.equal(lanAddress(0), '10.77.0.1')
    assert.equal(lanAddress(254), '10.77.0.255')
    assert.equal(lanAddress(255), '10.77.1.0')
    assert.equal(lanAddress(999), '10.77.3.232')
  })
})

describe('link fault rules', () => {
  const reset = [`add table inet ${FAULT_TABLE}`, `delete table inet ${FAULT_TABLE}`, `add table arp ${FAULT_TABLE}`, `delete table arp ${FAULT_TABLE}`]

  it('a healthy link has no table: the script only removes the old ones', () => {
    assert.equal(nftScript(NO_FAULTS, 'eth0'), `${reset.join('\n')}\n`)
  })

  it('cut drops everything of the interface both ways, ARP included', () => {
    const script = nftScript({ ...NO_FAULTS, cut: true, loss: { percent: 10, direction: 'both' } }, 'eth0')
    assert.match(script, /chain input \{\n.*hook input.*\n {4}iifname "eth0" counter\n {4}iifname "eth0" counter drop\n {2}\}/)
    assert.match(script, /chain output \{\n.*hook output.*\n {4}oifname "eth0" counter\n {4}oifname "eth0" counter drop\n {2}\}/)
    assert.match(script, new RegExp(`table arp ${FAULT_TABLE} \\{`))
    assert.doesNotMatch(script, /numgen/, 'a cut link loses everything anyway')
  })

  it('loss draws on its own in each direction asked for', () => {
    const rule = 'numgen random mod 100 < 10 counter drop'
    const both = nftScript({ ...NO_FAULTS, loss: { percent: 10, direction: 'both' } }, 'eth0')
    assert.ok(both.includes(`iifname "eth0" ${rule}`) && both.includes(`oifname "eth0" ${rule}`))
    const incoming = nftScript({ ...NO_FAULTS, loss: { percent: 10, direction: 'in' } }, 'eth0')
    assert.ok(incoming.includes(`iifname "eth0" ${rule}`) && !incoming.includes('oifname "eth0" numgen'))
    const outgoing = nftScript({ ...NO_FAULTS, loss: { percent: 10, direction: 'out' } }, 'eth0')
    assert.ok(outgoing.includes(`oifname "eth0" ${rule}`) && !outgoing.includes('iifname "eth0" numgen'))
    assert.doesNotMatch(both, /table arp peermon_faults \{/, 'ARP is not affected by loss')
    assert.throws(() => nftScript({ ...NO_FAULTS, loss: { percent: 0.5, direction: 'in' } }, 'eth0'), RangeError)
  })

  it('a partition drops the other group\'s addresses both ways, then loss applies to the rest', () => {
    const script = nftScript({ ...NO_FAULTS, blocked: ['10.77.0.3', '10.77.0.4'], loss: { percent: 30, direction: 'in' } }, 'eth0')
    const input = script.slice(script.indexOf('chain input'), script.indexOf('chain output'))
    assert.ok(input.indexOf('ip saddr { 10.77.0.3, 10.77.0.4 } counter drop') < input.indexOf('numgen'))
    assert.ok(script.includes('oifname "eth0" ip daddr { 10.77.0.3, 10.77.0.4 } counter drop'))
    assert.throws(() => nftScript({ ...NO_FAULTS, blocked: ['10.77.0.3; flush ruleset'] }, 'eth0'), RangeError)
  })

  it('reads the packets a link saw and dropped from nft\'s JSON: each chain\'s first rule counts all', () => {
    const rule = (chain: string, packets: number, drop: boolean): object => ({ rule: { family: 'inet', table: FAULT_TABLE, chain, expr: [{ match: {} }, { counter: { packets, bytes: packets * 100 } }, ...(drop ? [{ drop: null }] : [])] } })
    const json = JSON.stringify({ nftables: [{ metainfo: {} }, { table: {} }, { chain: {} }, rule('input', 1000, false), rule('input', 20, true), rule('input', 80, true), rule('output', 900, false), rule('output', 90, true)] })
    assert.deepEqual(linkCounters(json), { seenIn: 1000, droppedIn: 100, seenOut: 900, droppedOut: 90 })
    assert.deepEqual(linkCounters(''), { seenIn: 0, droppedIn: 0, seenOut: 0, droppedOut: 0 })
  })

  it('rate is a token bucket with a frame-sized burst at least, and a queue', () => {
    assert.deepEqual(tbfArgs('eth0', { kbit: 256, queueMs: 200 }), ['qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '256kbit', 'burst', '3000', 'latency', '200ms'])
    assert.equal(tbfArgs('eth0', { kbit: 100_000, queueMs: 50 })[9], '250000', '20 ms of traffic at 100 Mbit/s')
    assert.deepEqual(tbfArgs('eth0', undefined), ['qdisc', 'del', 'dev', 'eth0', 'root'])
    assert.throws(() => tbfArgs('eth0', { kbit: 1, queueMs: 200 }), RangeError)
  })
})
