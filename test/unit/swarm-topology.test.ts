import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seededRandom } from '../../src/swarm/launch/random.js'
import { adjacencyOf, isConnected, isStar, planSwarm, removableNodes } from '../../src/swarm/launch/topology.js'

describe('swarm topology', () => {
  it('is connected for every size and seed', () => {
    for (let nodes = 1; nodes <= 40; nodes++) {
      for (let seed = 0; seed < 20; seed++) {
        const plan = planSwarm({ nodes, degree: 3 }, seededRandom(seed))
        assert.ok(isConnected(adjacencyOf(plan)), `nodes ${nodes} seed ${seed}`)
      }
    }
  })

  it('is a star around node 0 when asked: every other node dials node 0 alone', () => {
    const plan = planSwarm({ nodes: 6, degree: 3, star: true }, seededRandom(1))
    assert.deepEqual(plan.bootstraps, [[], [0], [0], [0], [0], [0]])
    assert.equal(isStar(adjacencyOf(plan)), true)
  })

  it('is not a star from four nodes on', () => {
    for (let nodes = 4; nodes <= 40; nodes++) {
      for (let seed = 0; seed < 20; seed++) {
        const plan = planSwarm({ nodes, degree: 3 }, seededRandom(seed))
        assert.equal(isStar(adjacencyOf(plan)), false, `nodes ${nodes} seed ${seed}`)
      }
    }
  })

  it('gives the same graph for the same seed and another one for another seed', () => {
    const a = planSwarm({ nodes: 20, degree: 3 }, seededRandom(42))
    const b = planSwarm({ nodes: 20, degree: 3 }, seededRandom(42))
    const c = planSwarm({ nodes: 20, degree: 3 }, seededRandom(43))
    assert.deepEqual(a, b)
    assert.notDeepEqual(a.bootstraps, c.bootstraps)
  })

  it('bootstraps each node to up to degree distinct nodes of earlier batches', () => {
    const plan = planSwarm({ nodes: 25, degree: 3, maxBatch: 4 }, seededRandom(7))
    assert.deepEqual(plan.batches.flat(), Array.from({ length: 25 }, (_, i) => i), 'every node once, in order')
    assert.deepEqual(plan.batches.slice(0, 4).map((b) => b.length), [1, 1, 2, 4])
    assert.ok(plan.batches.every((b) => b.length <= 4))
    plan.batches.forEach((batch) => {
      const firstOfBatch = batch[0]
      for (const i of batch) {
        const targets = plan.bootstraps[i]
        assert.equal(new Set(targets).size, targets.length, 'distinct')
        assert.equal(targets.length, Math.min(3, firstOfBatch), `node ${i} dials min(degree, started) nodes`)
        assert.ok(targets.every((t) => t < firstOfBatch), `node ${i} dials only nodes already started`)
      }
    })
  })

  it('finds the nodes whose loss keeps the rest connected', () => {
    // A path 0 - 1 - 2: only the ends can go.
    const path = adjacencyOf({ batches: [[0], [1], [2]], bootstraps: [[], [0], [1]] })
    assert.deepEqual(removableNodes(path), [0, 2])
    for (let seed = 0; seed < 20; seed++) {
      const adjacency = adjacencyOf(planSwarm({ nodes: 10, degree: 1 }, seededRandom(seed)))
      const removable = removableNodes(adjacency)
      assert.ok(removable.some((i) => i !== 0), 'a tree always has a leaf besides node 0')
      for (const i of removable) assert.ok(isConnected(adjacency, i))
    }
  })

  it('rejects nonsense sizes', () => {
    assert.throws(() => planSwarm({ nodes: 0, degree: 3 }, seededRandom(1)), RangeError)
    assert.throws(() => planSwarm({ nodes: 3, degree: 0 }, seededRandom(1)), RangeError)
  })
})

describe('seededRandom', () => {
  it('repeats per seed and samples without repetition', () => {
    const a = seededRandom(5)
    const b = seededRandom(5)
    assert.deepEqual(Array.from({ length: 10 }, () => a.next()), Array.from({ length: 10 }, () => b.next()))
    const r = seededRandom(9)
    for (let i = 0; i < 100; i++) {
      const sample = r.sample([1, 2, 3, 4, 5], 3)
      assert.equal(new Set(sample).size, 3)
      const x = r.next()
      assert.ok(x >= 0 && x < 1)
    }
    assert.deepEqual(r.sample([1, 2], 5).sort(), [1, 2])
  })
})
