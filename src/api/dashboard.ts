/**
 * The dashboard route, `GET /`: serves the self-contained page of
 * dashboard-page.ts with a Content-Security-Policy that allows exactly its
 * inline style and script (by hash), requests to this origin only, and no
 * framing. Pass {@link registerDashboard} to buildApiServer's `plugins`.
 */
import type { FastifyInstance } from 'fastify'
import { DASHBOARD_HTML, DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './dashboard-page.js'
import { pageCsp } from '../http/page-csp.js'

/** The page's CSP: its own inline style and script, fetch/EventSource to this origin, nothing else. */
export const DASHBOARD_CSP = pageCsp(DASHBOARD_SCRIPT, DASHBOARD_STYLE)

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
