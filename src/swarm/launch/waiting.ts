/** Waiting on a swarm's events with a timeout and an abort signal (launcher.ts). */
import type { WaitOptions } from './swarm-options.js'

/**
 * Waits for `subscribe`'s callback to resolve, with a timeout and an abort
 * signal; `subscribe` returns its unsubscribe function.
 */
export async function waitUntil<T> (subscribe: (resolve: (value: T) => void) => () => void, options: WaitOptions, what: string): Promise<T> {
  const { timeoutMs, signal } = options
  signal?.throwIfAborted()
  let unsubscribe = (): void => {}
  let timer: NodeJS.Timeout | undefined
  let onAbort = (): void => {}
  try {
    return await new Promise<T>((resolve, reject) => {
      unsubscribe = subscribe(resolve)
      if (timeoutMs !== undefined) timer = setTimeout(() => { reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
      onAbort = () => { reject(signal?.reason) }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  } finally {
    unsubscribe()
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** Races `promise` against `signal`. */
export async function abortable<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return await promise
  signal.throwIfAborted()
  promise.catch(() => {})
  let onAbort = (): void => {}
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
