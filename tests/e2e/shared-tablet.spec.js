// A tablet two collectors share: the records one left queued are uploaded with their own
// sign-in, not with the next collector's, which the server would file as the other's (or refuse
// as of villages not theirs). The bar says what waits for whom.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { COLLECTOR, openSignedIn, signIn } = require("./session");
const { fillDemo } = require("./fill");
const { forgetSession } = require("./device");
const { storedRecords } = require("./server");

// The second collector the test server is started with (see playwright.config.js).
const SECOND = { name: "e2e-b", password: "e2e-password" };

test("records one collector left queued wait for them while another is signed in", async ({ page, context }) => {
  const name = `共用${Date.now().toString(36)}`;
  const onServer = () => storedRecords().filter((r) => r.answers.name === name);
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Completed offline by the first collector: it waits in the queue. Once the app knows it is
  // offline: an upload begun before (the emulated network let one through 69 ms after 完成
  // in one CI run) would reach the server as the first collector's, rightly, and leave nothing
  // to wait.
  await goOffline(context);
  await expect(page.getByRole("banner").getByRole("status")).toHaveText("离线");
  await fillDemo(page, { name, age: 40 });
  await page.getByRole("button", { name: "完成" }).click();
  const line = page.locator(".record", { hasText: name });
  await expect(line).toContainText("待上传");

  // The first collector leaves; the second signs in, online. The record stays queued, and the
  // bar says it waits for its collector.
  await forgetSession(page);
  await page.reload();
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  await goOnline(context);
  await signIn(page, SECOND);
  await expect(page.locator(".uploads")).toContainText("其他采集员的记录，待其本人登录后上传：1", { timeout: 20_000 });
  await expect(line).toContainText("待上传");
  // Nothing of it went with the second collector's sign-in. A copy the first collector's
  // sign-in sent while the tablet was "offline" would be theirs, rightly: Chromium's network
  // emulation has let such a request through in CI (see network.js), so it is told, not failed.
  const early = onServer();
  expect(early.filter((r) => r.sent_by !== COLLECTOR.name)).toEqual([]);
  if (early.length > 0) {
    console.warn(`shared-tablet: the record reached the server from the first collector, ${Date.now() - early[0].received_at} ms before this check`);
  }

  // The first collector signs in again: it goes, as theirs.
  await forgetSession(page);
  await page.reload();
  await signIn(page);
  await expect(line).toContainText("已上传", { timeout: 20_000 });
  const stored = onServer();
  expect(stored).toHaveLength(1);
  expect(stored[0].meta.collector).toBe(COLLECTOR.name);
  expect(stored[0].sent_by).toBe(COLLECTOR.name);
});
