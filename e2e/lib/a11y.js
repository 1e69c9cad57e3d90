'use strict';
// axe-core scan of the current page state. The tags cover WCAG 2.0/2.1 A and AA, i.e. JIS X
// 8341-3:2016 AA plus the WCAG 2.1 additions the Digital Agency targets.

const assert = require('node:assert/strict');
const { AxeBuilder } = require('@axe-core/playwright');

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => {
          const summary = (n.failureSummary || '').replace(/\s+/g, ' ').trim();
          return `      - target ${JSON.stringify(n.target)}\n        html: ${n.html.slice(0, 300)}\n        ${summary}`;
        })
        .join('\n');
      return `  * ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/** Runs axe on `page` and asserts zero violations; `label` names the page state in the message. */
async function checkA11y(page, label) {
  const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const { violations } = results;
  if (violations.length > 0) {
    const msg = `axe: ${violations.length} violation(s) on "${label}" (${page.url()}):\n${formatViolations(violations)}`;
    assert.fail(msg);
  }
  return results;
}

module.exports = { checkA11y, formatViolations, TAGS };
