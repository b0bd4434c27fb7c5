// Browser benchmark of sync: how long the app takes to push N queued records to a local
// server. The records are written into the app's IndexedDB store as the app writes them, the
// page is reloaded, and the time runs from the reload until the app shows 全部已上传; the time
// from the first upload request to the last answer is given apart. Run against a server:
//
//   echo bench-password | target/release/doorstep users add bench --villages 330110 --data /tmp/bench-data
//   target/release/doorstep serve --port 8099 --data /tmp/bench-data &
//   node tests/bench/sync-push.js http://127.0.0.1:8099 10000 bench bench-password
const { chromium } = require("@playwright/test");
const { openSignedIn } = require("../e2e/session");
const { seedQueued } = require("../e2e/device");

const base = process.argv[2] || "http://127.0.0.1:8080";
const n = Number(process.argv[3] || 10000);
const account = { name: process.argv[4] || "bench", password: process.argv[5] || "bench-password" };

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const context = await browser.newContext({ serviceWorkers: "block" });
  const page = await context.newPage();
  await openSignedIn(page, `${base}/?form=demo`, account);
  await page.getByRole("heading", { name: "演示登记表" }).waitFor();

  const run = Date.now().toString(36);
  await seedQueued(page, run, n, "基准");

  let first = null;
  let last = null;
  let requests = 0;
  page.on("request", (r) => {
    if (r.url().endsWith("/api/v1/submissions")) {
      requests += 1;
      first = first ?? Date.now();
    }
  });
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/submissions")) last = Date.now();
  });
  const started = Date.now();
  await page.reload();
  await page.getByText("全部已上传").waitFor({ timeout: 600_000 });
  const total = Date.now() - started;
  const sent = await page.locator(".record.status-sent").count();
  console.log(JSON.stringify({
    records: n, requests, sent_shown: sent,
    reload_to_all_uploaded_ms: total,
    first_request_to_last_answer_ms: last - first,
    records_per_second: Math.round(n / ((last - first) / 1000)),
  }));
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
