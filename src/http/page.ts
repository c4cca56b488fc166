/**
 * The script of a self-contained page (the daemon's dashboard, the swarm
 * view): TypeScript compiled with DOM types by its own tsconfig (part of
 * `npm run build`) to one ES module with no imports, read once and inlined in
 * a <script> whose hash goes into the page's CSP (page-csp.ts).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Reads the compiled script at `url`; throws, naming `page`, when it is missing or would end the <script> early. */
export function readPageScript (url: URL, page: string): string {
  const file = fileURLToPath(url)
  let script: string
  try {
    script = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`${page}'s script ${file} cannot be read (npm run build makes it): ${(err as Error).message}`)
  }
  // Inlined in <script>: these would end it early or change how the browser parses it.
  if (/<\/script|<!--/i.test(script)) throw new Error(`${page}'s script ${file} contains "</script" or "<!--"`)
  return script
}

/** The HTML document of a self-contained page: its style and its one module script inline, nothing fetched. */
export function selfContainedPage (page: { title: string, style: string, body: string, script: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<style>${page.style}</style>
</head>
<body>${page.body}<script type="module">${page.script}</script>
</body>
</html>
`
}
