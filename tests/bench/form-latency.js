// Browser benchmark of the app: how long one answer takes to reach the screen.
//
// A generated form of N integer questions (every third asked only when the one before it is
// above 5) is served to the real app in headless Chromium, with the CPU slowed 4× through the
// DevTools protocol to stand in for a slow tablet. Each of 100 changes sets an answer that
// shows or hides the next question; the time is measured from the `input` event to the DOM
// change (MutationObserver), with and without a forced layout. Run against a server:
//
//   echo bench-password | target/release/doorstep users add bench --villages 330110 --data /tmp/bench-data
//   target/release/doorstep serve --port 8099 --data /tmp/bench-data &
//   node tests/bench/form-latency.js http://127.0.0.1:8099 300 bench bench-password
const { chromium } = require("@playwright/test");

const base = process.argv[2] || "http://127.0.0.1:8080";
const n = Number(process.argv[3] || 300);
const account = { name: process.argv[4] || "bench", password: process.argv[5] || "bench-password" };
const changes = 100;

function form(size) {
  const fields = [];
  for (let i = 0; i < size; i++) {
    const field = { id: `f${i}`, type: "integer", label: { "zh-CN": `问题 ${i}` },
      constraints: [{ expr: ". >= 0 and . <= 100", code: "range", message: { "zh-CN": "应在 0 到 100 之间" } }] };
    if (i % 3 === 2) field.relevant = `f${i - 1} > 5`;
    fields.push(field);
  }
  return { id: "bench", version: "1", title: { "zh-CN": "基准表" },
    sections: [{ id: "s", title: { "zh-CN": "全部" }, fields }] };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const context = await browser.newContext({ serviceWorkers: "block" });
  const page = await context.newPage();
  await page.route("**/schemas/bench.json", (route) =>
    route.fulfill({ contentType: "application/json", body: JSON.stringify(form(n)) }));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const started = Date.now();
  await page.goto(`${base}/?form=bench`);
  await page.getByLabel("账号").fill(account.name);
  await page.getByLabel("密码").fill(account.password);
  await page.getByRole("button", { name: "登录" }).click();
  await page.getByRole("heading", { name: "基准表" }).waitFor();
  // Includes typing the sign-in and the server checking the password.
  const firstRender = Date.now() - started;

  // Each change flips a controlling question between 9 (shows the next one) and 1 (hides it),
  // so every change has a DOM change to wait for.
  const shown = new Map();
  const measure = async (withLayout) => {
    const times = [];
    for (let k = 0; k < changes; k++) {
      const i = 3 * (k % Math.min(10, Math.floor(n / 3))) + 1;
      const value = shown.get(i) ? "1" : "9";
      shown.set(i, !shown.get(i));
      times.push(await page.evaluate(({ i, value, withLayout }) => new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error(`no DOM change after setting f${i} to ${value}`)), 5000);
        const input = document.getElementById(`f-f${i}`);
        const root = document.querySelector("form.survey");
        const observer = new MutationObserver(() => {
          observer.disconnect();
          if (withLayout) document.body.getBoundingClientRect();
          resolve(performance.now() - t0);
        });
        observer.observe(root, { subtree: true, childList: true });
        input.value = value;
        const t0 = performance.now();
        input.dispatchEvent(new InputEvent("input", { bubbles: true }));
      }), { i, value, withLayout }));
    }
    return times;
  };
  const plain = await measure(false);
  const layout = await measure(true);
  const report = (name, t) =>
    console.log(`${name}: p50 ${percentile(t, 50).toFixed(1)} ms, p95 ${percentile(t, 95).toFixed(1)} ms, max ${Math.max(...t).toFixed(1)} ms`);
  console.log(`form of ${n} questions, CPU throttled 4x; first render ${firstRender} ms (page load to heading)`);
  report("answer to DOM", plain);
  report("answer to DOM + layout", layout);
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
