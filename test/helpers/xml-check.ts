/**
 * A strict check that a text is well-formed XML 1.0 of the kind a JUnit
 * report is (a declaration, elements, attributes, text, character and the
 * five predefined entity references; no DTD, comments, CDATA or processing
 * instructions beyond the declaration), and its element tree. No XML parser is
 * a dependency of the project: this is enough to catch an unescaped `<`, `&`
 * or quote, a forbidden character, or unbalanced tags. Throws with the offset.
 */

export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  /** The element's own text, references resolved. */
  text: string
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y
// Characters XML 1.0 allows: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u

export function parseXml (xml: string): XmlElement {
  const bad = FORBIDDEN.exec(xml)
  if (bad !== null) throw new Error(`character U+${bad[0].codePointAt(0)?.toString(16)} not allowed in XML at ${bad.index}`)
  let pos = 0
  const fail = (what: string): never => { throw new Error(`not well-formed XML at ${pos}: ${what} (${JSON.stringify(xml.slice(pos, pos + 30))})`) }
  const name = (): string => {
    NAME.lastIndex = pos
    const m = NAME.exec(xml)
    if (m === null) fail('expected a name')
    pos = NAME.lastIndex
    return (m as RegExpExecArray)[0]
  }
  const spaces = (): void => { while (/[ \t\r\n]/.test(xml[pos] ?? '')) pos++ }
  const chars = (end: string): string => {
    let out = ''
    while (pos < xml.length && !end.includes(xml[pos])) {
      if (xml.startsWith(']]>', pos)) fail(']]> in text')
      if (xml[pos] === '&') {
        const m = /^&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/.exec(xml.slice(pos, pos + 12))
        if (m === null) fail('a bare & (or an unknown entity)')
        const ref = (m as RegExpExecArray)[1]
        out += ref.startsWith('#x') ? String.fromCodePoint(parseInt(ref.slice(2), 16)) : ref.startsWith('#') ? String.fromCodePoint(Number(ref.slice(1))) : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[ref]
        pos += (m as RegExpExecArray)[0].length
      } else {
        out += xml[pos++]
      }
    }
    return out
  }

  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>')
    if (end < 0) fail('unterminated declaration')
    if (!/^<\?xml version="1\.0"( encoding="UTF-8")?\?>$/.test(xml.slice(0, end + 2))) fail('unexpected declaration')
    pos = end + 2
  }
  spaces()
  const element = (): XmlElement => {
    if (xml[pos] !== '<') fail('expected <')
    pos++
    const el: XmlElement = { name: name(), attributes: {}, children: [], text: '' }
    while (true) {
      const before = pos
      spaces()
      if (xml.startsWith('/>', pos)) { pos += 2; return el }
      if (xml[pos] === '>') { pos++; break }
      if (pos === before) fail('expected a space before an attribute')
      const key = name()
      if (key in el.attributes) fail(`attribute ${key} twice`)
      if (xml[pos] !== '=' || xml[pos + 1] !== '"') fail('expected ="')
      pos += 2
      const value = chars('"<')
      if (xml[pos] !== '"') fail('< in an attribute value')
      pos++
      el.attributes[key] = value
    }
    while (true) {
      el.text += chars('<')
      if (pos >= xml.length) fail(`unclosed <${el.name}>`)
      if (xml.startsWith('</', pos)) {
        pos += 2
        if (name() !== el.name) fail(`closing tag does not match <${el.name}>`)
        spaces()
        if (xml[pos] !== '>') fail('expected >')
        pos++
        return el
      }
      el.children.push(element())
    }
  }
  const root = element()
  spaces()
  if (pos !== xml.length) fail('content after the root element')
  return root
}
