// The host API, driven by the example host page (static/embed-example.html) that embeds the
// app in an iframe: init with a token the host obtained, open a person of the roster, prefill
// the answers, complete in the app, sync; the events arrive in order. Bad calls are refused
// with a clear message and the app goes on. A host that can only load a URL configures the app
// through the address.
const { test, expect } = require("@playwright/test");
const { COLLECTOR } = require("./session");

// 赵六 of tests/e2e/roster.csv: born 1 January 1990, 视力 一级, non-agricultural household.
const CERT = "33011019900101001211";
const ANSWERS = {
  person_status: "1", ethnicity: "01", marital_status: "10", phone_mobile: "13912345678",
  in_institution: "2", urban_income: "2", urban_housing: "1", literate: "1", education: "6",
  employed: "2", jobless_registered: "1", livelihood: "4", jobless_reason: "5",
  job_support: ["1"], job_need: ["1", "2"], worker_insurance: ["4"], resident_pension: "1",
  pension_subsidy: "1", medical_insurance: "1", medical_subsidy: "1", social_assistance: ["1"],
  welfare_subsidy: ["1", "2"], care_service: "1", family_doctor: "2", ill_two_weeks: "2",
  rehab_received: ["6"], rehab_missing_reason: ["2"], rehab_need: ["4"], aid_need: ["1"],
  home_mod_done: "2", home_mod_need: ["6"], culture_active: "1", head_name: "赵六", respondent: "1",
};

async function token(request) {
  const answer = await request.post("/api/v1/sessions", { data: COLLECTOR });
  expect(answer.ok()).toBe(true);
  return (await answer.json()).token;
}

test("a host page drives the app through the host API and hears its events in order", async ({ page, request }) => {
  const bearer = await token(request);
  await page.goto("/embed-example.html");
  const app = page.frameLocator("#app");
  const events = page.locator("#events li");
  await expect(page.locator(".event-ready")).toHaveCount(1);
  await expect(app.getByRole("heading", { name: "登录" })).toBeVisible();

  await page.getByLabel("令牌 (token)").fill(bearer);
  await page.getByLabel("采集员 (collector)").fill(COLLECTOR.name);
  await page.getByRole("button", { name: "init" }).click();
  await expect(page.locator("#result")).toContainText("init ✓");
  await expect(app.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(app.locator(".persons .person")).toHaveCount(2);

  // Bad calls: a clear refusal, and the app goes on.
  await page.getByLabel("残疾人证号 (certNo)").fill("110101190001010000");
  await page.getByRole("button", { name: "open" }).click();
  await expect(page.locator("#result")).toContainText("open ✗ open: certificate number `110101190001010000` is not on this collector's roster");
  const refusals = await page.evaluate(async () => {
    const api = document.getElementById("app").contentWindow.doorstep;
    const messages = [];
    for (const call of [() => api.prefill({ age: 3 }), () => api.open({}), () => api.records({ status: "lost" }),
      () => api.init({ locale: "fr" }), () => api.init({ server: "https://elsewhere.example" })]) {
      try {
        await call();
        messages.push("resolved");
      } catch (error) {
        messages.push(error.message);
      }
    }
    return messages;
  });
  expect(refusals).toEqual([
    "prefill: no record is open; call open first",
    "open: give exactly one of certNo and recordId",
    "records: status `lost` is not one of draft, completed, queued, sent",
    "init: locale `fr` is not one of zh-CN, en",
    `init: server \`https://elsewhere.example\` is not the server this app was loaded from (${new URL(page.url()).origin}); load the app from the server it sends records to`,
  ]);
  await expect(app.getByRole("heading", { name: "调查名册" })).toBeVisible();

  // open, prefill, complete in the app, sync.
  await page.getByLabel("残疾人证号 (certNo)").fill(CERT);
  await page.getByRole("button", { name: "open" }).click();
  await expect(page.locator("#result")).toContainText("open ✓");
  await expect(app.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.getByLabel("预填答案 (prefill, JSON)").fill(JSON.stringify({ ...ANSWERS, age: 5 }));
  await page.getByRole("button", { name: "prefill" }).click();
  await expect(page.locator("#result")).toContainText("prefill ✗ prefill: form `individual` has no question age");
  await page.getByLabel("预填答案 (prefill, JSON)").fill(JSON.stringify(ANSWERS));
  await page.getByRole("button", { name: "prefill" }).click();
  await expect(page.locator("#result")).toContainText(`prefill ✓ {"answers":${Object.keys(ANSWERS).length}`);
  await app.getByRole("button", { name: "完成" }).click();
  await expect(app.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(app.locator(".persons .person", { hasText: "赵六" })).toContainText(/待上传|已上传/);
  await page.getByRole("button", { name: "sync" }).click();
  await expect(page.locator("#result")).toContainText('sync ✓ {"needsSignIn":false');
  await expect(page.locator(".event-synced")).toHaveCount(1);
  await page.getByRole("button", { name: "records" }).click();
  await expect(page.locator("#result")).toContainText('"status":"sent"');

  const names = (await events.allInnerTexts()).map((text) => text.split(" ")[0]);
  const first = (name) => names.indexOf(name);
  expect(names[0]).toBe("ready");
  expect(first("draft-saved")).toBeGreaterThan(0);
  expect(first("completed")).toBeGreaterThan(first("draft-saved"));
  expect(first("queued")).toBe(first("completed") + 1);
  expect(first("synced")).toBeGreaterThan(first("queued"));
  expect(names.filter((n) => n === "completed")).toHaveLength(1);
  const synced = JSON.parse((await page.locator(".event-synced").innerText()).slice("synced ".length));
  const queued = JSON.parse((await page.locator(".event-queued").innerText()).slice("queued ".length));
  expect(synced.recordIds).toEqual([queued.recordId]);
  expect(queued.subject).toBe(CERT);
});

test("a host that can only load a URL configures the app through the address", async ({ page, request }) => {
  const bearer = await token(request);
  await page.goto(`/#token=${encodeURIComponent(bearer)}&collector=${COLLECTOR.name}&locale=en`);
  await expect(page.getByRole("heading", { name: "Roster" })).toBeVisible();
  await expect(page.locator(".persons .person")).toHaveCount(2);
  expect(page.url()).not.toContain(bearer);
});

test("a WebView's native bridge receives every event as JSON text", async ({ page, request }) => {
  const bearer = await token(request);
  // What an Android app's addJavascriptInterface(bridge, "DoorstepBridge") puts in the page.
  await page.addInitScript(() => {
    window.__bridged = [];
    window.DoorstepBridge = { postMessage: (json) => window.__bridged.push(json) };
  });
  await page.goto(`/#token=${encodeURIComponent(bearer)}&collector=${COLLECTOR.name}`);
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  // A host configured through the address waits for `ready`: the roster is there then.
  await expect.poll(() => page.evaluate(() => window.__bridged.some((m) => JSON.parse(m).event === "ready"))).toBe(true);
  const opened = await page.evaluate((cert) => window.doorstep.open({ certNo: cert }), CERT);
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await page.evaluate(() => window.doorstep.prefill({ ethnicity: "01" }));
  await expect.poll(async () => (await page.evaluate(() => window.__bridged)).length).toBeGreaterThan(1);
  const messages = (await page.evaluate(() => window.__bridged)).map((text) => JSON.parse(text));
  expect(messages[0]).toMatchObject({ doorstep: 1, type: "event", event: "ready" });
  const saved = messages.filter((m) => m.event === "draft-saved");
  expect(saved.length).toBeGreaterThan(0);
  expect(saved.at(-1).data).toMatchObject({ recordId: opened.recordId, form: "individual", status: "draft", subject: CERT });
});

test("a native host that calls init while the app is still starting is signed in for good", async ({ page, request }) => {
  const bearer = await token(request);
  // A host that calls as soon as `window.doorstep` is there, before the app has opened its
  // storage: the call waits for the start, and its sign-in is kept and fetches the roster.
  await page.addInitScript(({ bearer, collector }) => {
    window.__events = [];
    window.DoorstepBridge = { postMessage: (json) => window.__events.push(JSON.parse(json).event) };
    Object.defineProperty(window, "doorstep", {
      configurable: true,
      set(api) {
        Object.defineProperty(window, "doorstep", { value: api, configurable: true });
        setTimeout(() => api.init({ token: bearer, collector }).then(
          (value) => { window.__init = value; window.__events.push("init resolved"); },
          (error) => { window.__init = String(error); }), 0);
      },
    });
  }, { bearer, collector: COLLECTOR.name });
  await page.goto("/");
  await expect.poll(() => page.evaluate(() => window.__init)).toEqual({ locale: "zh-CN", collector: COLLECTOR.name });
  expect(await page.evaluate(() => window.__events)).toEqual(["ready", "init resolved"]);
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(page.locator(".persons .person")).toHaveCount(2);
  // Kept on the device, and read back: the next start is signed in without the host.
  const context = page.context();
  await page.close();
  const next = await context.newPage();
  await next.goto("/");
  await expect(next.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(next.locator(".persons .person")).toHaveCount(2);
  await expect(next.getByRole("heading", { name: "登录" })).toHaveCount(0);
});

// The example page is not part of the app a tablet keeps: once the app's service worker runs,
// the page still comes from the server, not the app's shell in its place.
test("the example host page is itself once the app's service worker runs", async ({ page }) => {
  await page.goto("/");
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await page.goto("/embed-example.html");
  await expect(page.getByRole("heading", { name: "嵌入示例" })).toBeVisible();
});
