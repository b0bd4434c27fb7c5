// Nothing typed is lost: a page closed without unload handlers running, 300 ms after the last
// keystroke, reopens with that keystroke in the draft.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { deviceRecords } = require("./device");

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

// An answer draws its own questions at once and writes the draft a moment later, once the
// task is done. Hiding the page (a tablet put away, another app) or leaving it writes it at
// once: here the moment never comes, because timers of 0 ms are held back for a minute, so
// only the flush can have written the answer.
for (const [how, hide] of [
  ["hidden", () => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  }],
  ["left", () => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }))],
]) {
  test(`an answer is written at once when the page is ${how}`, async ({ context }) => {
    const page = await context.newPage();
    await openSignedIn(page, "/?form=demo");
    await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
    const name = `${how}${Date.now().toString(36)}`;
    await page.evaluate(() => {
      const later = window.setTimeout;
      window.setTimeout = (f, delay, ...rest) => later(f, delay ? delay : 60_000, ...rest);
    });
    await page.evaluate(({ name, hide }) => {
      const input = document.getElementById("f-name");
      input.value = name;
      input.dispatchEvent(new InputEvent("input", { bubbles: true }));
      // Drawn at once: the question shows it.
      if (document.getElementById("f-name").value !== name) throw new Error("not drawn");
      new Function(`(${hide})()`)();
    }, { name, hide: hide.toString() });
    await expect.poll(async () => (await deviceRecords(page))
      .some((r) => r.status === "draft" && r.answers.name === name), { timeout: 5000 }).toBe(true);
  });
}
