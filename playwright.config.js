// Playwright drives Debian's Chromium (never a downloaded one) against `doorstep serve` on
// 127.0.0.1, with a fresh database folder per run. `cargo xtask test` builds both first.
const { defineConfig } = require("@playwright/test");
const path = require("path");

const port = Number(process.env.DOORSTEP_E2E_PORT || 8765);
const data = process.env.DOORSTEP_E2E_DATA || path.join(__dirname, "target", "e2e-data");
const doorstep = path.join(__dirname, "target", "release", "doorstep");

// Routing sees the service worker's own requests too (Chromium), for every test alike: the
// slow-link test answers the worker's requests with nothing.
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = "1";

module.exports = defineConfig({
  testDir: "tests/e2e",
  timeout: 60_000,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    actionTimeout: 15_000,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
  },
  webServer: {
    // A collector for the whole committed county (330110) is created first, and a second one
    // (e2e-b, for a tablet two share), and a roster of two persons in 330110005001
    // (tests/e2e/roster.csv) imported; the tests sign in as the first (tests/e2e/session.js).
    command: `sh -c 'printf "e2e-password\\n" | "${doorstep}" users add e2e --villages 330110 --data "${data}" && printf "e2e-password\\n" | "${doorstep}" users add e2e-b --villages 330110 --data "${data}" && "${doorstep}" roster import tests/e2e/roster.csv --data "${data}" && exec "${doorstep}" serve --port ${port} --data "${data}"'`,
    url: `http://127.0.0.1:${port}/api/v1/health`,
    cwd: __dirname,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
