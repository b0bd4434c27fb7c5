// The foundation path as a collector lives it: fill the demo form, reload, go offline,
// submit, reload offline, come back online, and the server holds exactly one record.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { openSignedIn } = require("./session");
const { fillDemo } = require("./fill");
const { storedRecords } = require("./server");

test("fill, reload, submit offline, reload offline, sync once online", async ({ page, context }) => {
  const before = storedRecords().length;
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();

  await page.getByLabel("姓名").fill("王小明");
  await page.getByRole("radio", { name: "否" }).check();
  // The question shown only for one choice appears, and goes again with the other choice.
  await expect(page.getByLabel("未入户原因")).toBeVisible();
  await page.getByRole("radio", { name: "是" }).check();
  await expect(page.getByLabel("未入户原因")).toHaveCount(0);
  await page.getByLabel("年龄").fill("130");
  await expect(page.getByLabel("年龄")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("年龄应在 0 到 120 岁之间")).toBeVisible();
  await page.getByLabel("年龄").fill("67");
  await expect(page.getByLabel("年龄")).toHaveAttribute("aria-invalid", "false");

  // The service worker controls the page before we rely on it offline.
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, {
    timeout: 20_000,
  });

  await page.reload();
  await expect(page.getByLabel("姓名")).toHaveValue("王小明");
  await expect(page.getByRole("radio", { name: "是" })).toBeChecked();
  await expect(page.getByLabel("年龄")).toHaveValue("67");

  await goOffline(context);
  await expect(page.getByText("离线", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.getByText("已完成，等待网络连接后自动上传")).toBeVisible();
  const waiting = page.locator(".record", { hasText: "王小明" });
  await expect(waiting).toContainText("待上传");

  await page.reload();
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await expect(page.locator(".record", { hasText: "王小明" })).toContainText("待上传");
  await expect(page.getByLabel("姓名")).toHaveValue("");
  expect(storedRecords().length).toBe(before);

  await goOnline(context);
  await expect(page.locator(".record", { hasText: "王小明" })).toContainText("已上传", { timeout: 20_000 });
  const records = storedRecords().filter((r) => r.answers.name === "王小明");
  expect(records).toHaveLength(1);
  expect(records[0].form).toBe("demo");
  expect(records[0].answers).toEqual({ name: "王小明", visited: "1", age: 67 });
});

test("a completed record is viewed from the list and edited until it is sent", async ({ page, context }) => {
  const name = `查看${Date.now().toString(36)}`;
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await goOffline(context);
  await fillDemo(page, { name, age: 50 });
  await page.getByRole("button", { name: "完成" }).click();
  const listed = page.locator(".record", { hasText: name });
  await expect(listed).toContainText("待上传");

  // Viewed: the form shows it, and 修改 opens it again while it waits to be uploaded.
  await listed.getByRole("button", { name: "查看" }).click();
  await expect(page.getByLabel("姓名")).toHaveValue(name);
  await page.getByRole("button", { name: "修改" }).click();
  await page.getByLabel("年龄").fill("51");
  await page.getByRole("button", { name: "完成" }).click();
  await expect(page.locator(".record", { hasText: name })).toHaveCount(1);
  await expect(page.getByLabel("姓名")).toHaveValue("");

  // Viewed again and left for a new record: a blank one, the viewed one still listed once.
  await page.locator(".record", { hasText: name }).getByRole("button", { name: "查看" }).click();
  await expect(page.getByLabel("年龄")).toHaveValue("51");
  await page.getByRole("button", { name: "新建记录" }).click();
  await expect(page.getByLabel("姓名")).toHaveValue("");
  await expect(page.getByRole("button", { name: "新建记录" })).toHaveCount(0);
  await expect(page.locator(".record", { hasText: name })).toHaveCount(1);

  // Uploaded as edited, once.
  await goOnline(context);
  await expect(page.locator(".record", { hasText: name })).toContainText("已上传", { timeout: 20_000 });
  const stored = storedRecords().filter((r) => r.answers.name === name);
  expect(stored).toHaveLength(1);
  expect(stored[0].answers.age).toBe(51);
});

test("a required question blocks submitting, and the summary links to it", async ({ page }) => {
  await openSignedIn(page, "/?form=demo");
  await page.getByLabel("姓名").fill("");
  const complete = page.getByRole("button", { name: "完成" });
  await complete.click();
  // The summary takes the focus at each refusal, so a collector who cannot see it hears it.
  const summary = page.getByRole("region", { name: "请先修改以下问题：" });
  await expect(summary).toBeFocused();
  await expect(summary).toContainText("请先修改以下问题");
  await complete.focus();
  await page.keyboard.press("Enter");
  await expect(summary).toBeFocused();
  // It is not a live region: fixing one error while typing is not read out over the typing.
  await expect(page.getByRole("alert")).toHaveCount(0);
  await summary.getByRole("link", { name: /姓名/ }).click();
  await expect(page.getByLabel("姓名")).toBeFocused();
  await expect(page.getByLabel("姓名")).toHaveAttribute("aria-invalid", "true");
  const describedBy = await page.getByLabel("姓名").getAttribute("aria-describedby");
  await expect(page.locator(`#${describedBy}`)).toContainText("此项必填");
});

test("English is available", async ({ page }) => {
  await openSignedIn(page, "/?form=demo");
  // The page's title names the screen, in the interface's language.
  await expect(page).toHaveTitle("演示登记表 · 入户登记");
  await page.getByRole("button", { name: "切换语言" }).click();
  await expect(page.getByRole("heading", { name: "Demo form" })).toBeVisible();
  await expect(page).toHaveTitle("Demo form · doorstep");
  await expect(page.getByLabel("Name")).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  // The summary's lines read as English: a colon and a space, not the Chinese full-width one.
  await page.getByRole("button", { name: "Complete" }).click();
  await expect(page.locator(".error-summary").getByRole("link", { name: "Name: This question must be answered" })).toBeVisible();
  // The choice is kept on the device for the next start.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Demo form" })).toBeVisible();
  await page.getByRole("button", { name: "Switch language" }).click();
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
});

