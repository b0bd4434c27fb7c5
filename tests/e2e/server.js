// What the test server stored, read with `doorstep export` from the data folder it was started
// with (see playwright.config.js).
const { execFileSync } = require("child_process");
const path = require("path");

const root = path.join(__dirname, "..", "..");
const data = process.env.DOORSTEP_E2E_DATA || path.join(root, "target", "e2e-data");

/// Every stored record, as `doorstep export` writes it.
function storedRecords() {
  const out = execFileSync(path.join(root, "target", "release", "doorstep"), ["export", "--data", data], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

module.exports = { storedRecords };
