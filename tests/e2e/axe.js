// axe-core's accessibility check of what a page shows, as the tests assert it.
const { default: AxeBuilder } = require("@axe-core/playwright");

/// The serious and critical violations axe-core finds on the page, each with where it is.
async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

module.exports = { seriousViolations };
