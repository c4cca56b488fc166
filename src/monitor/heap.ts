/**
 * A binary heap on a plain array, ordered by `first(a, b)`: a comes out
 * before b. The tracker's deadlines and the core's eviction order use it.
 */

/** Adds `item` to `heap`. */
export function pushHeap<T> (heap: T[], item: T, first: (a: T, b: T) => boolean): void {
  heap.push(item)
  let i = heap.length - 1
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (!first(heap[i], heap[parent])) break
    ;[heap[i], heap[parent]] = [heap[parent], heap[i]]
    i = parent
  }
}

/** Removes the first item of `heap` (call after reading heap[0]). */
export function popHeap<T> (heap: T[], first: (a: T, b: T) => boolean): void {
  const last = heap.pop()
  if (last === undefined || heap.length === 0) return
  heap[0] = last
  let i = 0
  for (;;) {
    const left = 2 * i + 1
    const right = left + 1
    let top = i
    if (left < heap.length && first(heap[left], heap[top])) top = left
    if (right < heap.length && first(heap[right], heap[top])) top = right
    if (top === i) return
    ;[heap[i], heap[top]] = [heap[top], heap[i]]
    i = top
  }
}
