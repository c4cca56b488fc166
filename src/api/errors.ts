/** Errors a route throws to answer with `{ error, statusCode }` (see the error handler in server.ts). */
export function httpError (statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode })
}
