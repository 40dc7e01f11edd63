// Accessibility checks with axe-core (npm, pinned in package.json): runs the WCAG 2.2 A and AA
// rules on the page as it is now and returns the violations, each with where it is.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
export const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Violations of WCAG 2.2 A/AA on `page` (within `selector`, the whole page by default). */
export async function violations(page, selector = null) {
  // Evaluated through the debugger protocol: the page's CSP (rightly) refuses injected scripts.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(SOURCE);
  return page.evaluate(async ({ tags, selector }) => {
    const result = await window.axe.run(selector ? document.querySelector(selector) : document, {
      runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 6).map((n) => `${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(1, 2).join(' ').trim()}`),
      count: v.nodes.length,
    }));
  }, { tags: TAGS, selector });
}

/** One line per violation, for a failure message. */
export function describe(found) {
  return found.map((v) => `${v.id} (${v.impact}, ${v.count}×): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
}
