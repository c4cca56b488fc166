/**
 * The Content-Security-Policy of a self-contained page (the daemon's
 * dashboard, the swarm view): exactly its own inline style and script, by
 * hash; fetch and EventSource to its own origin; nothing else, no framing.
 */
import { createHash } from 'node:crypto'

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

export function pageCsp (script: string, style: string): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}
