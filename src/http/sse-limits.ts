/**
 * The event streams' bounds, apart from sse.ts so that browser code (the
 * dashboard reads the API's types) can import them without Node's types.
 */

/** Most open event streams by default; one more gets 503 (the API's `/api/v0/events`). */
export const SSE_MAX_CLIENTS = 64
/** Interval of the SSE comment heartbeat (ms). */
export const SSE_HEARTBEAT_MS = 15_000
