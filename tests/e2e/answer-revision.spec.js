// The server's answer is about the revision uploaded. A record reopened and completed again
// while its upload was on the way, with the reopening's write refused by the device (so the
// outbox was never told it left the queue), must not be marked sent by the answer about its
// earlier revision: the corrected revision is uploaded in its turn and the server ends with it.
//
// The refusal is real: the DevTools protocol (Storage.overrideQuotaForOrigin) gives the origin
// 1 MB before the app first opens its database, and the browser refuses, with
// QuotaExceededError, a write that does not fit. Another record, larger than that, is left
// unwritten; the app writes it again with each write, one transaction each, so the reopening's
// write fails with it, until that record is made small again.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { fillDemo } = require("./fill");
const { storedRecords } = require("./server");
const { deviceRecords } = require("./device");

// The service worker's copies of the app take space too; they are not what this is about.
test.use({ serviceWorkers: "block" });

test("an answer about an earlier revision does not mark the corrected record sent", async ({ page, context, baseURL }) => {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(baseURL).origin, quotaSize: 1_000_000 });
  const run = Date.now().toString(36);
  const [name, large] = [`修订${run}`, `过大${run}`];
  const onServer = () => storedRecords().filter((r) => r.answers.name === name).map((r) => r.answers.age);
  const onDevice = async () => (await deviceRecords(page)).find((r) => r.answers.name === name);
  // What a WebView host hears (see embed.spec.js).
  await page.addInitScript(() => {
    window.__bridged = [];
    window.DoorstepBridge = { postMessage: (json) => window.__bridged.push(JSON.parse(json)) };
  });
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();

  // The first upload reaches the server, and its answer is held back until released. Every
  // upload of the record is noted, with the revision it carried and whether it came after.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let isReleased = false;
  const uploads = [];
  let firstAnswered;
  await page.route("**/api/v1/submissions", async (route) => {
    const mine = route.request().postDataJSON().records.filter((r) => r.answers.name === name);
    if (mine.length === 0) return route.continue();
    uploads.push({ revision: mine[0].revision, age: mine[0].answers.age, afterRelease: isReleased });
    if (uploads.length > 1) return route.continue();
    const response = await route.fetch();
    await released;
    firstAnswered = route.fulfill({ response });
  });
  await fillDemo(page, { name, age: 40 });
  await page.getByRole("button", { name: "完成" }).click();
  await expect.poll(onServer).toEqual([40]);

  // Another record that does not fit: its write is refused, and it stays unwritten.
  await page.getByLabel("姓名").fill(large + "长".repeat(700_000));
  await expect(page.locator(".storage-error")).toContainText("本机存储拒绝写入");

  // The first record reopened while its answer is on the way: the write fails with the other.
  await page.locator(".record", { hasText: name }).getByRole("button", { name: "查看" }).click();
  await page.getByRole("button", { name: "修改" }).click();
  await page.getByLabel("年龄").fill("41");
  await page.getByRole("button", { name: "完成" }).click();
  expect((await onDevice()).answers.age).toBe(40);

  // The other record made small again: everything is written, the first one corrected and
  // queued, as it was queued before (so the outbox was told nothing).
  await page.locator(".record", { hasText: large }).getByRole("button", { name: "继续填写" }).click();
  await page.getByLabel("姓名").fill(large);
  await expect.poll(async () => (await onDevice())?.answers.age).toBe(41);
  await expect(page.locator(".storage-error")).toHaveCount(0);
  expect((await onDevice()).status).toBe("queued");

  // The answer about the first revision arrives (the app still waits for it: it was not
  // abandoned and retried meanwhile): the corrected one is uploaded after it.
  expect(uploads.map((u) => u.age)).toEqual([40]);
  isReleased = true;
  release();
  await expect.poll(onServer, { timeout: 20_000 }).toEqual([41]);
  await firstAnswered;
  await expect.poll(async () => (await onDevice()).status).toBe("sent");
  await expect(page.locator(".record", { hasText: name })).toContainText("已上传");
  expect(uploads.map((u) => [u.age, u.afterRelease])).toEqual([[40, false], [41, true]]);
  expect(uploads[1].revision).toBeGreaterThan(uploads[0].revision);

  // The host heard of each revision queued, and of the server having the record once: for the
  // corrected revision, not the answer about the first.
  const id = (await onDevice()).id;
  const heard = async (event) => (await page.evaluate(() => window.__bridged))
    .filter((m) => m.event === event && (m.data.recordId === id || m.data.recordIds?.includes(id)));
  expect((await heard("queued")).map((m) => m.data.revision)).toEqual(uploads.map((u) => u.revision));
  await expect.poll(async () => (await heard("synced")).length).toBe(1);
  expect(await heard("rejected")).toEqual([]);
});
