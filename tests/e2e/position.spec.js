// Where the device was, for a home visit: asked once the collector works on a record whose
// method is 入户, never waited for; not asked for a record taken by phone. (That a position
// taken before the method changed to phone is dropped at completion is the core's
// `a_position_is_kept_for_a_home_visit_only`.)
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { showSection } = require("./fill");
const { deviceRecords } = require("./device");

const person = (page, name) => page.locator(".persons .person", { hasText: name });
const stored = async (page, name) =>
  (await deviceRecords(page)).find((r) => r.answers.name === name);

test("a home visit records the device's position, a phone interview does not", async ({ page, context }) => {
  await context.grantPermissions(["geolocation"]);
  await context.setGeolocation({ latitude: 30.27, longitude: 120.15, accuracy: 20 });
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();

  // 赵六 at home (the method's default, 入户调查): the position comes once work starts.
  await person(page, "赵六").getByRole("button").click();
  await expect(page.getByRole("heading", { name: "个人登记表" })).toBeVisible();
  await showSection(page, "基本信息");
  await page.getByRole("textbox", { name: "手机号码", exact: true }).fill("13900003333");
  await expect(page.getByText("已记录位置")).toBeVisible();
  await expect.poll(async () => (await stored(page, "赵六"))?.meta.position?.latitude).toBe(30.27);
  await page.getByRole("button", { name: "返回名册" }).click();

  // 李四 by phone, chosen before anything else: no position is asked for or kept.
  await person(page, "李四").getByRole("button").click();
  await showSection(page, "调查信息");
  await page.getByRole("radio", { name: "电话调查" }).check();
  await showSection(page, "基本信息");
  await page.getByRole("textbox", { name: "手机号码", exact: true }).fill("13900004444");
  await expect.poll(async () => (await stored(page, "李四"))?.answers.phone_mobile).toBe("13900004444");
  await page.waitForTimeout(500);
  expect((await stored(page, "李四")).meta.position ?? null).toBeNull();
  await expect(page.getByText("已记录位置")).toHaveCount(0);
});
