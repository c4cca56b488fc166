/**
 * Follows a Server-Sent Events stream for tests: fetches it, parses its frames
 * as they arrive, and waits for one that matches.
 */

export interface SseFrame {
  /** `event:` field ('message' when absent). */
  event: string
  /** `data:` lines joined with newlines. */
  data: string
  /** Comment lines (`: ...`) of the frame. */
  comments: string[]
}

export class SseReader {
  readonly frames: SseFrame[] = []
  readonly status: number
  readonly headers: Headers
  private readonly controller: AbortController
  private readonly done: Promise<void>
  ended = false

  private constructor (response: Response, controller: AbortController) {
    this.status = response.status
    this.headers = response.headers
    this.controller = controller
    this.done = this.read(response).catch(() => {}).finally(() => { this.ended = true })
  }

  /** Opens the stream; resolves once the response headers are in. */
  static async open (url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const controller = new AbortController()
    const response = await fetch(url, { headers, signal: controller.signal })
    return new SseReader(response, controller)
  }

  /** Waits until a frame matches, or fails after timeoutMs. */
  async waitFor (what: string, match: (frame: SseFrame) => boolean, timeoutMs: number): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.frames.find(match)
      if (found !== undefined) return found
      if (this.ended) throw new Error(`event stream ended before ${what}`)
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  /** Disconnects (as a client going away would). */
  async close (): Promise<void> {
    this.controller.abort()
    await this.done
  }

  private async read (response: Response): Promise<void> {
    if (response.body === null) return
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const frame: SseFrame = { event: 'message', data: '', comments: [] }
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comments.push(line.slice(1).trim())
          else if (line.startsWith('event:')) frame.event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        frame.data = data.join('\n')
        this.frames.push(frame)
      }
    }
  }
}
