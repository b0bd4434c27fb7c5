// Nothing typed is lost: a page closed without unload handlers running, 300 ms after the last
// keystroke, reopens with that keystroke in the draft.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");

test("a page closed 300 ms after typing reopens with the last change", async ({ context }) => {
  const page = await context.newPage();
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  const name = `未丢失${Date.now().toString(36)}`;
  await page.getByLabel("姓名").pressSequentially(name);
  await page.getByLabel("年龄").pressSequentially("58");
  await page.waitForTimeout(300);
  await page.close({ runBeforeUnload: false });

  const again = await context.newPage();
  await again.goto("/?form=demo");
  await expect(again.getByLabel("姓名")).toHaveValue(name);
  await expect(again.getByLabel("年龄")).toHaveValue("58");
});
