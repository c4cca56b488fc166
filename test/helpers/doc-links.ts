/**
 * Relative links and anchors in Markdown, checked the way GitHub renders them:
 * `[text](path)`, `[text](path#anchor)` and `[text](#anchor)` (images too) must
 * name a file or folder that exists, relative to the linking file, and an
 * anchor must be a heading of the target Markdown file, slugged as GitHub does.
 *
 * Pure: it reads files only through the `DocTree` it is given (the disk, or a
 * few strings in a test). Links with a scheme (`https:`, `mailto:`, ...) and
 * everything inside fenced code blocks or inline code are not links.
 * Setext headings (a line underlined with `===`) are not read: the docs use `#`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

/** What the checker may know of the files: whether a path exists, and a Markdown file's text. */
export interface DocTree {
  exists: (path: string) => boolean
  /** The text of a file, or undefined when there is none (or it is a folder). */
  read: (path: string) => string | undefined
}

export interface DocLink {
  /** The line it is on, from 1. */
  line: number
  text: string
  target: string
}

export interface BrokenLink extends DocLink {
  file: string
  reason: string
}

/** The files under `root`, as they are on disk. */
export function diskTree (root: string): DocTree {
  return {
    exists: path => existsSync(join(root, path)),
    read: path => {
      const full = join(root, path)
      return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined
    }
  }
}

/** A few files given as strings (paths relative to one root, with `/`). */
export function memoryTree (files: Record<string, string>): DocTree {
  const paths = Object.keys(files).map(path => normalize(path))
  return {
    exists: path => {
      const p = normalize(path)
      return p === '.' || paths.some(f => f === p || f.startsWith(`${p}/`))
    },
    read: path => files[Object.keys(files).find(f => normalize(f) === normalize(path)) ?? '']
  }
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/

/** The lines of `markdown` outside fenced code blocks, with their numbers (from 1). */
function proseLines (markdown: string): Array<{ line: number, text: string }> {
  const out: Array<{ line: number, text: string }> = []
  let fence: string | undefined
  markdown.split('\n').forEach((text, i) => {
    const open = FENCE.exec(text)
    if (fence !== undefined) {
      if (open !== null && open[1][0] === fence[0] && open[1].length >= fence.length && text.trim() === open[1]) fence = undefined
      return
    }
    if (open !== null) {
      fence = open[1]
      return
    }
    out.push({ line: i + 1, text })
  })
  return out
}

/** `text` with each inline code span replaced by as many `x` (so a link's text may hold code, and code holds no link). */
function blankCodeSpans (text: string): string {
  return text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, span => 'x'.repeat(span.length))
}

/** The text GitHub shows for a heading: code, emphasis and link markup removed. */
function headingText (raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*+)([^*]+)\1/g, '$2')
}

/** GitHub's anchor for a heading's text: lowercase, punctuation dropped except `-` and `_`, each space a `-`. */
export function githubSlug (heading: string): string {
  return headingText(heading).trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
}

/** The anchors a Markdown file offers: one per heading (repeats get `-1`, `-2`, ...) and any `<a id|name="...">`. */
export function anchors (markdown: string): Set<string> {
  const found = new Set<string>()
  const seen = new Map<string, number>()
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(text)
    if (heading !== null) {
      const slug = githubSlug(heading[1])
      const n = seen.get(slug) ?? 0
      seen.set(slug, n + 1)
      found.add(n === 0 ? slug : `${slug}-${n}`)
    }
    for (const m of text.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) found.add(m[1])
  }
  return found
}

/** The relative links of a Markdown text: not in code, not external (no scheme). */
export function relativeLinks (markdown: string): DocLink[] {
  const links: DocLink[] = []
  for (const { line, text } of proseLines(markdown)) {
    for (const m of blankCodeSpans(text).matchAll(/\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^)]*["'])?\s*\)/g)) {
      const target = m[2]
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target === '') continue
      links.push({ line, text: m[1], target })
    }
  }
  return links
}

/**
 * The broken relative links of `file` (a path relative to the tree's root):
 * a missing file or folder, or an anchor that no heading of the target has.
 * Anchors into files other than Markdown (a source file's `#L10`) are not checked.
 */
export function brokenLinks (file: string, tree: DocTree): BrokenLink[] {
  const markdown = tree.read(file)
  if (markdown === undefined) return [{ file, line: 0, text: '', target: file, reason: 'no such file' }]
  const broken: BrokenLink[] = []
  for (const link of relativeLinks(markdown)) {
    const hash = link.target.indexOf('#')
    const pathPart = decodeURIComponent(hash === -1 ? link.target : link.target.slice(0, hash))
    const anchor = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1))
    const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? normalize(pathPart.slice(1)) : normalize(join(dirname(file), pathPart))
    const target = resolved.replace(/(.)\/+$/, '$1')
    if (target.startsWith('..')) {
      broken.push({ ...link, file, reason: `${pathPart} is outside the repository` })
      continue
    }
    if (!tree.exists(target)) {
      broken.push({ ...link, file, reason: `no file ${target}` })
      continue
    }
    if (anchor === undefined || !target.endsWith('.md')) continue
    const text = tree.read(target)
    if (text === undefined || !anchors(text).has(anchor)) broken.push({ ...link, file, reason: `no heading #${anchor} in ${target}` })
  }
  return broken
}
