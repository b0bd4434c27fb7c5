// A device that runs out of storage: the collector is told, nothing already stored is lost or
// half-written, and once the record fits again the next change saves it.
//
// The quota is real: the DevTools protocol (Storage.overrideQuotaForOrigin) gives the origin
// 1 MB before the app first opens its database, and the browser itself refuses, with
// QuotaExceededError, the write of a record that no longer fits.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { deviceRecords } = require("./device");

// The service worker's copies of the app take space too; they are not what this is about.
test.use({ serviceWorkers: "block" });

test("a full device says so, keeps what it stored, and saves again once there is room", async ({ page, context, baseURL }) => {
  const cdp = await context.newCDPSession(page);
  const origin = new URL(baseURL).origin;
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: 1_000_000 });
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  const name = `存储满${Date.now().toString(36)}`;
  const stored = async () => (await deviceRecords(page)).find((r) => r.answers.name === name);
  await page.getByLabel("姓名").fill(name);
  await page.getByLabel("年龄").fill("61");
  await expect.poll(async () => (await stored())?.answers.age).toBe(61);
  const before = await stored();

  // A change that makes the record larger than the space left (2 MB of text).
  await page.getByLabel("姓名").fill(name + "长".repeat(700_000));
  const alert = page.locator(".storage-error");
  await expect(alert).toHaveAttribute("role", "alert");
  await expect(alert).toContainText("本机存储拒绝写入");
  // The device holds the record as it was: not lost, not half-written.
  expect(await stored()).toEqual(before);

  // The record fits again: the next change writes it, with every change since, and the
  // message goes.
  await page.getByLabel("姓名").fill(name);
  await page.getByLabel("年龄").fill("62");
  await expect.poll(async () => (await stored())?.answers.age).toBe(62);
  await expect(alert).toHaveCount(0);
  expect((await stored()).revision).toBeGreaterThan(before.revision);
});
