/**
 * The dashboard route, `GET /`: serves the self-contained page of
 * dashboard-page.ts with a Content-Security-Policy that allows exactly its
 * inline style and script (by hash), requests to this origin only, and no
 * framing. Pass {@link registerDashboard} to buildApiServer's `plugins`.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { DASHBOARD_HTML, DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './dashboard-page.js'

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/** The page's CSP: its own inline style and script, fetch/EventSource to this origin, nothing else. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Registers `GET /` (and HEAD) serving the dashboard page. */
export function registerDashboard (app: FastifyInstance): void {
  app.get('/', async (_req, reply) => {
    return await reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DASHBOARD_CSP)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      // The page may carry ?token= in its URL: never send it on as a Referer.
      .header('referrer-policy', 'no-referrer')
      .send(DASHBOARD_HTML)
  })
}
