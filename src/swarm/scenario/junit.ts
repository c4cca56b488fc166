/**
 * A timeline's verdicts as a JUnit XML report, the format CI systems read
 * (Jenkins, GitLab, GitHub actions' reporters): one <testsuite> for the
 * scenario, one <testcase> per expectation, a <failure> with the failing
 * nodes when it did not hold. Pure.
 */
import type { Verdict } from './expectations.js'

export interface JunitSuite {
  /** The scenario's name. */
  name: string
  /** Wall time of the whole run, in ms. */
  timeMs: number
  /** When it started. */
  timestamp: Date
  /** Shown as <property> elements: seed, nodes, file, ... */
  properties: Record<string, string | number | boolean>
  verdicts: Verdict[]
  /** A run that could not judge (the swarm did not form, ...): one <error> testcase. */
  error?: string
  /** The step log, as <system-out>. */
  log?: string
}

export function junitXml (suite: JunitSuite): string {
  const cases = suite.verdicts.map((v) => {
    const name = `${v.number}. ${v.description}`
    const open = `  <testcase name="${attr(name)}" classname="${attr(`peermon.scenario.${suite.name}`)}" time="0">`
    const out = `    <system-out>${text(`${v.figure}${v.excluded === undefined ? '' : `; not judged: ${v.excluded.join(', ')}`}`)}</system-out>`
    if (v.pass) return [open, out, '  </testcase>'].join('\n')
    const message = `${v.figure}${v.failures.length === 0 ? '' : `: ${v.failures.slice(0, 5).join('; ')}${v.failures.length > 5 ? `; and ${v.failures.length - 5} more` : ''}`}`
    return [open, `    <failure message="${attr(message)}" type="expectation">${text(v.failures.join('\n'))}</failure>`, out, '  </testcase>'].join('\n')
  })
  if (suite.error !== undefined) {
    cases.push([
      `  <testcase name="run" classname="${attr(`peermon.scenario.${suite.name}`)}" time="0">`,
      `    <error message="${attr(suite.error)}" type="run">${text(suite.error)}</error>`,
      '  </testcase>'
    ].join('\n'))
  }
  const failures = suite.verdicts.filter((v) => !v.pass).length
  const properties = Object.entries(suite.properties).map(([k, v]) => `    <property name="${attr(k)}" value="${attr(String(v))}"/>`)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${attr(suite.name)}" tests="${cases.length}" failures="${failures}" errors="${suite.error === undefined ? 0 : 1}" skipped="0" time="${(suite.timeMs / 1000).toFixed(3)}" timestamp="${suite.timestamp.toISOString().replace(/\.\d{3}Z$/, '')}">`,
    '  <properties>',
    ...properties,
    '  </properties>',
    ...cases,
    ...(suite.log === undefined ? [] : [`  <system-out>${text(suite.log)}</system-out>`]),
    '</testsuite>',
    ''
  ].join('\n')
}

/** Characters XML 1.0 does not allow at all (control characters but tab, LF, CR; lone surrogates; U+FFFE/FFFF). */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/gu

/** Element text: & and < escaped (and > for `]]>`), forbidden characters replaced. */
export function text (value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A double-quoted attribute value: also quotes, and newlines and tabs kept as character references. */
export function attr (value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}

function clean (value: string): string {
  // With the u flag, a surrogate pair is one code point and is kept; lone surrogates match and go.
  return value.replace(NOT_XML, '\ufffd')
}
