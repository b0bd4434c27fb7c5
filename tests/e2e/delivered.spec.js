// Two tablets, one village: what one delivers shows on the other as 已上传, with who sent it,
// once the other shows its roster again, or gets the network back in a record; opening it
// there warns that a second visit would make a second record, and completing one there asks
// first. A tablet reset (a fresh browser) sees it at its first start. Villages no other test
// touches (沿山河社区, 横板桥社区), so that what the server holds from other tests does not
// matter.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { openSignedIn } = require("./session");
const { fillByLabels } = require("./fill");
const { deviceRecords, keeps, keptDelivered, setToken } = require("./device");
const { storedRecords } = require("./server");
const { seriousViolations } = require("./axe");

const CODE = "330110005002";
// The roster has nobody in this village, so a count of 0 raises no warning.
const COMMUNITY = {
  urban_rural_code: "220", certified_count: 0, has_association: "1", has_liaison: "2",
  rehab_station: "1", disabled_home: "1", day_care: "2", aid_service_point: "2",
  accessible_facilities: ["1", "2"], culture_venue: "1", culture_events: 4,
};

const village = (page) => page.locator(".villages .village", { hasText: CODE });
const back = (page) => page.getByRole("button", { name: "返回名册" }).click();

test("a village's record delivered from one tablet shows on the others as uploaded", async ({ context, browser, baseURL }) => {
  test.setTimeout(120_000);
  // Tablet B is at work before anything is delivered: it opens the village, types nothing.
  const tabletB = await browser.newContext({ baseURL });
  const b = await tabletB.newPage();
  await openSignedIn(b, "/");
  await expect(village(b)).toContainText("未开始");
  await expect.poll(() => keeps(b, "delivered")).toBe(true);
  await village(b).getByRole("button").click();
  await expect(b.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await expect(b.locator(".notice.delivered-elsewhere")).toHaveCount(0);

  // Tablet A completes the village's community form, online: it is uploaded.
  const a = await context.newPage();
  await openSignedIn(a, "/");
  await expect(village(a)).toContainText("未开始");
  await village(a).getByRole("button").click();
  await expect(a.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await fillByLabels(a, "community", COMMUNITY);
  await a.getByRole("button", { name: "完成" }).click();
  await expect(a.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(village(a)).toContainText("已上传", { timeout: 30_000 });
  // Its own record, listed by the server at its next start: no word of one from elsewhere.
  await a.reload();
  await expect.poll(async () => ((await keptDelivered(a)) || []).some((r) => r.subject === CODE))
    .toBe(true);
  await expect(village(a)).toContainText("已上传");
  await a.getByLabel("村（社区）").selectOption({ value: CODE });
  await expect(village(a).locator(".badge.delivered")).toHaveCount(0);

  // Back on its roster, tablet B learns of it, and says who sent it.
  await back(b);
  await expect(village(b)).toContainText("已上传");
  await expect(village(b).locator(".badge.delivered")).toHaveText("上传人：e2e");
  // Opening it again says a second visit makes a second record.
  await village(b).getByRole("button").click();
  await expect(b.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  // An alert: a screen reader says it, though the focus goes to the record's title.
  const notice = b.getByRole("alert").filter({ hasText: "服务器已收到" });
  await expect(notice).toContainText("服务器已收到此人（或此村）的一份记录，再次登记将产生重复记录");
  await expect(notice).toContainText("上传人：e2e");
  await back(b);
  await expect(village(b)).toContainText("已上传");
  // Offline, it still knows: the list is kept on the device.
  await goOffline(tabletB);
  await b.reload();
  await expect(village(b)).toContainText("已上传");
  await expect(village(b).locator(".badge.delivered")).toHaveText("上传人：e2e");
  await tabletB.close();

  // A tablet reset, or a new one: at its first start.
  const tabletC = await browser.newContext({ baseURL });
  const c = await tabletC.newPage();
  await openSignedIn(c, "/");
  await expect(village(c)).toContainText("已上传");
  await expect(village(c).locator(".badge.delivered")).toHaveText("上传人：e2e");
  // Visited again there all the same: 完成 asks first, the question taking the focus, and
  // completes only once a second record is said to be meant. The server then holds two, and the
  // roster says so.
  await village(c).getByRole("button").click();
  await expect(c.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await fillByLabels(c, "community", COMMUNITY);
  await c.getByRole("button", { name: "完成" }).click();
  const meant = c.getByRole("button", { name: "确需再登记，完成" });
  await expect(meant).toBeFocused();
  expect(await seriousViolations(c)).toEqual([]);
  await expect(c.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await expect.poll(async () => (await deviceRecords(c)).filter((r) => r.form_id === "community").map((r) => r.status))
    .toEqual(["draft"]);
  await meant.click();
  await expect(c.getByRole("heading", { name: "调查名册" })).toBeVisible();
  await expect(village(c).locator(".badge.delivered")).toHaveText("另有一份记录，上传人：e2e");
  await expect(village(c)).toContainText("已上传", { timeout: 30_000 });
  expect(storedRecords().filter((r) => r.form === "community" && r.answers.region_code === CODE)).toHaveLength(2);
  // A sign-in the server no longer accepts is asked for again at once: a roster that could not
  // learn of deliveries would let a person be visited twice without a word.
  await setToken(c, "expired");
  await c.reload();
  await expect(c.getByRole("heading", { name: "登录" })).toBeVisible();
  await tabletC.close();
});

// A tablet that showed its roster offline learns of a delivery when the network comes back,
// while its collector is in the record: before 完成, not after.
test("the network back while a record is open brings word of a delivery from elsewhere", async ({ context, browser, baseURL }) => {
  test.setTimeout(120_000);
  const other = "330110005003";
  const villageOf = (page) => page.locator(".villages .village", { hasText: other });
  // Tablet B has its roster, then loses the network.
  const tabletB = await browser.newContext({ baseURL });
  const b = await tabletB.newPage();
  await openSignedIn(b, "/");
  await expect(villageOf(b)).toContainText("未开始");
  await expect.poll(() => keeps(b, "delivered")).toBe(true);
  await goOffline(tabletB);

  // Meanwhile tablet A delivers the village's community form.
  const a = await context.newPage();
  await openSignedIn(a, "/");
  await villageOf(a).getByRole("button").click();
  await expect(a.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await fillByLabels(a, "community", COMMUNITY);
  await a.getByRole("button", { name: "完成" }).click();
  await expect(villageOf(a)).toContainText("已上传", { timeout: 30_000 });

  // B, offline, opens the village and fills its form: it cannot know yet.
  await villageOf(b).getByRole("button").click();
  await expect(b.getByRole("heading", { name: "社区登记表" })).toBeVisible();
  await fillByLabels(b, "community", COMMUNITY);
  await expect(b.locator(".notice.delivered-elsewhere")).toHaveCount(0);
  // The network comes back with the record still open: the alert comes, and 完成 asks.
  await goOnline(tabletB);
  await expect(b.getByRole("alert").filter({ hasText: "服务器已收到" })).toContainText("上传人：e2e");
  await b.getByRole("button", { name: "完成" }).click();
  await expect(b.getByRole("button", { name: "确需再登记，完成" })).toBeFocused();
  // The question is read once, as the button's description, not again by the alert.
  await expect(b.getByRole("alert").filter({ hasText: "服务器已收到" })).not.toContainText(
    await b.locator("#second-record-question").innerText(),
  );
  await expect.poll(async () => (await deviceRecords(b)).filter((r) => r.form_id === "community").map((r) => r.status))
    .toEqual(["draft"]);
  await tabletB.close();
});
