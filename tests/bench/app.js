// Browser benchmark of the collector's app, with the CPU slowed 4x through the DevTools
// protocol to stand in for a tablet (headless Debian Chromium, service workers blocked so every
// load is a cold one from the server):
//
//   1. navigation to the first field of the individual form being usable (a signed-in device),
//      and the same on a first visit over a slow mobile link, with what it transferred;
//   2. on a generated 1000-question form (10 sections of 100, shown as pages), a change to the
//      dependent question appearing or disappearing in the DOM: p50 and p95 over 100 changes,
//      and a page switch;
//   3. a change to the draft being written to IndexedDB (the app's `doorstep-saved` mark);
//   4. navigation to a roster of 20,000 persons being shown (first lines and counts), a search,
//      and a change in a person's form with that roster loaded.
//
// It starts its own server on a fresh data folder with a collector and a generated roster:
//
//   node tests/bench/app.js [target/release/doorstep] [port] [parts]
//
// where parts is a comma-separated choice of first, save, form and roster (all by default).
//
// `cargo xtask bench` builds the app and the server and runs it.
const { chromium } = require("@playwright/test");
const { openSignedIn } = require("../e2e/session");
const { forgetRosterTag, rosterKept } = require("../e2e/device");
const { execFileSync, spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.join(__dirname, "..", "..");
const doorstep = process.argv[2] || path.join(root, "target", "release", "doorstep");
const port = Number(process.argv[3] || 8097);
const base = `http://127.0.0.1:${port}`;
const account = { name: "bench", password: "bench-password" };
const ROSTER = 20000;
const THROTTLE = 4;
// A slow mobile link, for a first visit: what a village often has.
const LINK = { name: "a 1.6 Mbit/s link with 150 ms round trips", downKbps: 1600, upKbps: 750, rttMs: 150 };
const parts = (process.argv[4] || "first,save,form,roster").split(",");
const wanted = (part) => parts.includes(part);

// GB 11643 check character.
function checkChar(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return "10X98765432"[sum % 11];
}

function rosterCsv(villages) {
  const lines = ["cert_no,name,region_code"];
  for (let k = 0; k < ROSTER; k++) {
    const year = 1940 + (k % 70);
    const birth = `${year}${String(1 + (k % 12)).padStart(2, "0")}${String(1 + (k % 28)).padStart(2, "0")}`;
    const first17 = `330110${birth}${String(k % 1000).padStart(3, "0")}`;
    // The sequence repeats every 1000 with the same birth date only after 70*12*28 persons.
    const cert = `${first17}${checkChar(first17)}${1 + (k % 7)}${1 + (k % 4)}`;
    lines.push(`${cert},测试${k},${villages[k % villages.length]}`);
  }
  return lines.join("\n") + "\n";
}

function generatedForm(size) {
  const fields = [];
  for (let i = 0; i < size; i++) {
    const field = { id: `f${i}`, type: "integer", label: { "zh-CN": `问题 ${i}` },
      constraints: [{ expr: ". >= 0 and . <= 100", code: "range", message: { "zh-CN": "应在 0 到 100 之间" } }] };
    if (i % 3 === 2) field.relevant = `f${i - 1} > 5`;
    fields.push(field);
  }
  // Ten sections of 100: the app shows a section at a time, as its pages.
  const sections = [];
  for (let s = 0; s < size / 100; s++) {
    sections.push({ id: `s${s}`, title: { "zh-CN": `第 ${s + 1} 部分` }, fields: fields.slice(100 * s, 100 * (s + 1)) });
  }
  return { id: "bench", version: "1", title: { "zh-CN": "基准表" }, sections };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (t) => `p50 ${percentile(t, 50).toFixed(1)} ms, p95 ${percentile(t, 95).toFixed(1)} ms, max ${Math.max(...t).toFixed(1)} ms`;

/// Times from a change of the survey method (alternately 电话 and 入户, the first page's first
/// question the collector answers) to the app's `doorstep-saved` mark, that is to the change
/// being in IndexedDB.
async function measureSaves(page, count) {
  const times = [];
  for (let k = 0; k < count; k++) {
    times.push(await page.evaluate((k) => new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error("no doorstep-saved mark")), 5000);
      const observer = new PerformanceObserver((list) => {
        const mark = list.getEntries().find((e) => e.name === "doorstep-saved");
        if (mark) {
          observer.disconnect();
          resolve(mark.startTime - t0);
        }
      });
      observer.observe({ type: "mark" });
      const input = document.getElementById(`f-method-${(k + 1) % 2}`);
      const t0 = performance.now();
      input.click();
    }), k));
  }
  return times;
}

// Resolves once the page has run no long task (over 50 ms) for a second, or after 30 s with
// a word that it never settled.
async function settled(page) {
  const quiet = await page.evaluate(() => new Promise((resolve) => {
    let timer;
    const observer = new PerformanceObserver(() => wait());
    const done = (settled) => {
      observer.disconnect();
      clearTimeout(timer);
      clearTimeout(cap);
      resolve(settled);
    };
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(true), 1000);
    };
    const cap = setTimeout(() => done(false), 30000);
    observer.observe({ type: "longtask" });
    wait();
  }));
  if (!quiet) console.log("(the page still ran long tasks after 30 s; timing anyway)");
}

// Resolves once the server started for this run answers; a server left running on the port by
// an earlier run would answer for it and serve another build, so one there already is an error.
async function answering() {
  try {
    return (await fetch(`${base}/api/v1/health`)).ok;
  } catch (_) {
    return false;
  }
}

async function waitForServer(server) {
  for (let i = 0; i < 100; i++) {
    if (server.exitCode !== null) throw new Error(`the server stopped (exit code ${server.exitCode})`);
    try {
      const answer = await fetch(`${base}/api/v1/health`);
      if (answer.ok) return;
    } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server did not start");
}

(async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "doorstep-bench-"));
  const regions = JSON.parse(fs.readFileSync(path.join(root, "schemas", "regions", "330110.json"), "utf8"));
  const villages = [];
  for (const town of regions.towns) for (const v of town.villages) villages.push(v.code);
  execFileSync(doorstep, ["users", "add", account.name, "--villages", "330110", "--data", data],
    { input: `${account.password}\n` });
  const csv = path.join(data, "roster.csv");
  fs.writeFileSync(csv, rosterCsv(villages));
  execFileSync(doorstep, ["roster", "import", csv, "--data", data], { stdio: "ignore" });
  if (await answering()) {
    throw new Error(`a server already answers on port ${port}: stop it, or give another port`);
  }
  const server = spawn(doorstep, ["serve", "--port", String(port), "--data", data], { stdio: "ignore" });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    await waitForServer(server);
    const context = await browser.newContext({ serviceWorkers: "block", viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.route("**/schemas/bench.json", (route) =>
      route.fulfill({ contentType: "application/json", body: JSON.stringify(generatedForm(1000)) }));
    // Sign in once; the device keeps the sign-in, as a collector's tablet does.
    await openSignedIn(page, `${base}/?form=demo`, account);
    await page.getByRole("heading", { name: "演示登记表" }).waitFor();
    // And keeps the roster: each start below reads it from the device and asks the server
    // only whether it changed, as a tablet does day to day.
    await rosterKept(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: THROTTLE });

    // 1. Navigation to the first field of the individual form being usable.
    if (wanted("first") || wanted("save")) {
      const firstField = [];
      for (let k = 0; k < 5; k++) {
        await page.goto(`${base}/?form=individual`);
        // Usable: there and enabled.
        await page.waitForFunction(() => {
          const field = document.getElementById("f-method-0");
          return field && !field.disabled;
        });
        firstField.push(await page.evaluate(() => performance.now()));
      }
      console.log(`individual form, navigation to first field usable (5 loads): ${fmt(firstField)}`);

      // The same on a first visit over a slow mobile link, nothing cached: what the app
      // weighs on the wire, as the server sends it and as it would uncompressed.
      if (wanted("first")) {
        for (const [label, encoding] of [["as sent", null], ["uncompressed", "identity"]]) {
          await cdp.send("Network.enable");
          await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
          await cdp.send("Network.emulateNetworkConditions", {
            offline: false, latency: LINK.rttMs,
            downloadThroughput: LINK.downKbps * 125, uploadThroughput: LINK.upKbps * 125,
          });
          await cdp.send("Network.setExtraHTTPHeaders", { headers: encoding ? { "Accept-Encoding": encoding } : {} });
          const times = [];
          let sent = 0;
          for (let k = 0; k < 3; k++) {
            await page.goto(`${base}/?form=individual`);
            await page.waitForFunction(() => {
              const field = document.getElementById("f-method-0");
              return field && !field.disabled;
            }, null, { timeout: 120000 });
            times.push(await page.evaluate(() => performance.now()));
            sent = await page.evaluate(() => performance.getEntriesByType("navigation")
              .concat(performance.getEntriesByType("resource"))
              .reduce((sum, e) => sum + e.transferSize, 0));
          }
          await cdp.send("Network.setExtraHTTPHeaders", { headers: {} });
          await cdp.send("Network.emulateNetworkConditions", {
            offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
          });
          await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
          console.log(`individual form, first visit over ${LINK.name}, ${label}: ${(sent / 1024).toFixed(0)} KB transferred; navigation to first field usable (3 loads): ${fmt(times)}`);
        }
      }

      // 3. A change to the draft being on the device.
      if (wanted("save")) {
        const saves = await measureSaves(page, 30);
        console.log(`individual form, change to saved in IndexedDB (30 changes): ${fmt(saves)}`);
      }
    }

    // 2. The 1000-question form: a change to the dependent question appearing or leaving.
    if (wanted("form")) {
      const started = Date.now();
      await page.goto(`${base}/?form=bench`);
      await page.getByRole("heading", { name: "基准表" }).waitFor();
      const firstRender = Date.now() - started;
      // The start-up's own work (reading the collector's roster of 20,000 kept on the device)
      // goes on after the form is shown; the changes are timed once the page has been free of
      // long tasks for a second, so that they measure a change and not the start-up.
      await settled(page);
      const shown = new Map();
      // Each change is timed twice: to the DOM change (the app's own work) and on to a forced
      // layout (what the browser adds before it can paint).
      const changes = [];
      const scripted = [];
      for (let k = 0; k < 100; k++) {
        const i = 3 * (k % 10) + 1;
        const value = shown.get(i) ? "1" : "9";
        shown.set(i, !shown.get(i));
        // A pause between changes, as between a collector's taps, so that one change's saving
        // is not timed as part of the next.
        await page.waitForTimeout(100);
        const [dom, laidOut] = await page.evaluate(({ i, value }) => new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error(`f${i + 1} did not ${value === "9" ? "appear" : "leave"} after f${i} = ${value}`)), 5000);
          const input = document.getElementById(`f-f${i}`);
          const form = document.querySelector("form.survey");
          // Timed to the dependent question itself appearing or leaving, not to the first
          // change anywhere in the form.
          const wanted = value === "9";
          const observer = new MutationObserver(() => {
            if (!!form.querySelector(`[data-field="f${i + 1}"]`) !== wanted) return;
            observer.disconnect();
            const dom = performance.now() - t0;
            document.body.getBoundingClientRect();
            resolve([dom, performance.now() - t0]);
          });
          observer.observe(form, { subtree: true, childList: true });
          input.value = value;
          const t0 = performance.now();
          input.dispatchEvent(new InputEvent("input", { bubbles: true }));
        }), { i, value });
        scripted.push(dom);
        changes.push(laidOut);
      }
      console.log(`1000-question form: first render ${firstRender} ms; change to dependent question in the DOM (100 changes): ${fmt(scripted)}`);
      console.log(`1000-question form: the same, with layout: ${fmt(changes)}`);
      const switches = [];
      for (let k = 1; k <= 9; k++) {
        switches.push(await page.evaluate((k) => new Promise((resolve, reject) => {
          const buttons = document.querySelectorAll("nav.jump button");
          setTimeout(() => reject(new Error(`page ${k + 1} of ${buttons.length} not drawn`)), 10000);
          const t0 = performance.now();
          buttons[k].click();
          const wait = () => {
            if (document.getElementById(`s-s${k}`)) {
              document.body.getBoundingClientRect();
              resolve(performance.now() - t0);
            } else {
              setTimeout(wait, 1);
            }
          };
          wait();
        }), k));
      }
      console.log(`1000-question form, page switch to the next 100 questions drawn, with layout (9 switches): ${fmt(switches)}`);
    }

    // 4. The roster of 20,000.
    if (wanted("roster")) {
      // Each start asks for the roster again: it comes whole when the device names no tag of
      // the roster it holds (the kept tag is removed first, as on a device that has none), and
      // as "304 Not Modified" when it names one and the server still has that roster.
      for (const [label, whole] of [["downloaded whole", true], ["unchanged on the server", false]]) {
        const roster = [];
        let download;
        for (let k = 0; k < 3; k++) {
          if (whole) await forgetRosterTag(page);
          await page.goto(`${base}/`);
          await page.locator("#count-done").filter({ hasText: `0 / ${ROSTER}` }).waitFor({ timeout: 120_000 });
          await page.locator(".persons .person").first().waitFor();
          roster.push(await page.evaluate(() => performance.now()));
          // The start's own work (the download read and kept) ends before the next start.
          await settled(page);
          download = await page.evaluate(() => performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("/api/v1/assignments"))
            .map((e) => [e.transferSize, e.decodedBodySize, e.responseStatus])
            .pop());
        }
        const bytes = download ? `${(download[0] / 1024).toFixed(1)} KB transferred (${download[2]}) for ${(download[1] / 1024).toFixed(0)} KB of JSON` : "not seen";
        console.log(`roster of ${ROSTER} kept on the device, ${label}: navigation to lines and counts shown (3 loads): ${fmt(roster)}; its download: ${bytes}`);
      }
      const search = [];
      for (const text of ["测试1999", "测试7", "33011019", ""]) {
        search.push(await page.evaluate((text) => new Promise((resolve) => {
          const input = document.getElementById("roster-search");
          const list = document.querySelector(".roster");
          const observer = new MutationObserver(() => {
            observer.disconnect();
            resolve(performance.now() - t0);
          });
          observer.observe(list, { subtree: true, childList: true, characterData: true });
          input.value = text;
          const t0 = performance.now();
          input.dispatchEvent(new InputEvent("input", { bubbles: true }));
        }), text));
      }
      console.log(`roster of ${ROSTER}, search keystroke to list redrawn (4 searches): ${fmt(search)}`);
      // A change in a person's form with the 20,000 roster loaded: the roster is not worked out
      // again on a keystroke.
      await page.locator(".persons .person").first().getByRole("button").click();
      await page.locator("#f-method-0").waitFor();
      const rosterSaves = await measureSaves(page, 30);
      console.log(`person's form with the roster of ${ROSTER} loaded, change to saved (30 changes): ${fmt(rosterSaves)}`);
      // What the app holds, not the garbage of the changes above that is yet to be collected.
      const before = await cdp.send("Runtime.getHeapUsage");
      await cdp.send("HeapProfiler.collectGarbage");
      const heap = await cdp.send("Runtime.getHeapUsage");
      console.log(`JS heap with the roster shown: ${(heap.usedSize / 1e6).toFixed(1)} MB used after a garbage collection (${(before.usedSize / 1e6).toFixed(1)} MB before it)`);
    }
  } finally {
    await browser.close();
    server.kill();
    fs.rmSync(data, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
