/**
 * A Server-Sent Events parser (the WHATWG event-stream format, minus
 * reconnection): lines in, messages out, for it-pipe or a plain for-await.
 *
 * ```ts
 * for await (const message of parseSse(splitLines(response.body))) console.log(message.event, message.data)
 * ```
 */

/** One dispatched message. */
export interface SseMessage {
  /** The `event:` field; `message` when absent. */
  event: string
  /** The `data:` lines joined with `\n`. */
  data: string
  /** The last `id:` seen, if any. */
  id?: string
}

/**
 * Turns event-stream lines into messages: fields accumulate until a blank
 * line; comments (`:` lines, e.g. keepalives) and unknown fields are ignored;
 * a message without data is not dispatched, nor is an unterminated last one.
 */
export async function * parseSse (lines: AsyncIterable<string>): AsyncGenerator<SseMessage> {
  let event = ''
  let data: string[] = []
  let id: string | undefined
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield { event: event === '' ? 'message' : event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) }
      event = ''
      data = []
      continue
    }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event': event = value; break
      case 'data': data.push(value); break
      case 'id': if (!value.includes('\0')) id = value; break
      default: break
    }
  }
}
