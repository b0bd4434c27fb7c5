// When the app's WebAssembly stops on an error, the page is covered with a message and a reload
// button instead of taking keystrokes it would never save; the reload brings back what was
// saved, and an embedding host hears of it. No test hook makes the app itself fail, so a real
// trap is set off from the page, in a tiny module of its own: the browser reports it as the
// app's would be, from a timer (an event handler) or from a promise job (the app's futures).
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");

/// Runs `(module (func (export "f") unreachable))` from a timer, or from a promise job.
function trap(page, from) {
  return page.evaluate((from) => {
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0,
      7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
    const { f } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    if (from === "timer") setTimeout(f);
    else Promise.resolve().then(f);
  }, from);
}

test("a stopped app says so, keeps nothing from being typed, and reloads to what was saved", async ({ page }) => {
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await page.getByLabel("姓名").fill("王停");
  // Saved within 300 ms.
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    window.bridged = [];
    window.DoorstepBridge = { postMessage: (message) => window.bridged.push(JSON.parse(message)) };
  });

  // Any other error is not the app stopping.
  await page.evaluate(() => setTimeout(() => { throw new Error("some other script"); }));
  await page.waitForTimeout(200);
  await expect(page.locator("#app-stopped")).toHaveCount(0);

  await trap(page, "timer");
  const notice = page.getByRole("alertdialog");
  await expect(notice).toContainText("应用出错，已停止运行。本机已保存的内容不会丢失");
  await expect(page.getByRole("button", { name: "重新载入" })).toBeFocused();
  // The form underneath cannot be reached by a finger any more.
  const covered = await page.getByLabel("姓名").evaluate((input) => {
    const box = input.getBoundingClientRect();
    const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return !!top.closest("#app-stopped");
  });
  expect(covered).toBe(true);
  const events = await page.evaluate(() => window.bridged);
  expect(events).toEqual([{
    doorstep: 1, type: "event", event: "error",
    data: { message: "the app stopped: unreachable", stopped: true },
  }]);
  // A second error adds nothing.
  await trap(page, "timer");
  await page.waitForTimeout(200);
  await expect(page.getByRole("alertdialog")).toHaveCount(1);

  // The reload brings the saved draft back, with no notice; a trap in a promise job is told
  // the same way.
  await page.getByRole("button", { name: "重新载入" }).click();
  await expect(page.getByLabel("姓名")).toHaveValue("王停");
  await expect(page.locator("#app-stopped")).toHaveCount(0);
  await trap(page, "promise");
  await expect(page.getByRole("alertdialog")).toBeVisible();
});
