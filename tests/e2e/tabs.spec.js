// Two open copies of the app on one device: only one writes at a time, so neither writes the
// records it holds over the other's newer ones. The second waits and says why; its collector
// may take the device over; a copy closed lets the waiting one go on by itself.
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");
const { seriousViolations } = require("./axe");

const waiting = (page) => page.getByRole("heading", { name: "入户登记已在另一个窗口中打开" });

test("a second copy of the app waits for the first, may take over, and goes on once the other closes", async ({ context }) => {
  const first = await context.newPage();
  await openSignedIn(first, "/?form=demo");
  await expect(first.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await first.getByLabel("姓名").fill("第一个窗口");

  // The second copy does not start: it says the device is held, and reads nothing.
  const second = await context.newPage();
  await second.goto("/?form=demo");
  await expect(waiting(second)).toBeVisible();
  await expect(second.getByLabel("姓名")).toHaveCount(0);
  expect(await seriousViolations(second)).toEqual([]);
  await expect(first.getByLabel("姓名")).toHaveValue("第一个窗口");

  // Taken over: the second copy starts with what the first wrote; the first waits in turn.
  await second.getByRole("button", { name: "在此窗口中使用" }).click();
  await expect(second.getByLabel("姓名")).toHaveValue("第一个窗口");
  await expect(waiting(first)).toBeVisible();
  await second.getByLabel("姓名").fill("第二个窗口");

  // Closed: the waiting copy goes on by itself, with the change.
  await second.waitForTimeout(300);
  await second.close({ runBeforeUnload: false });
  await expect(first.getByLabel("姓名")).toHaveValue("第二个窗口");
  await expect(waiting(first)).toHaveCount(0);
});

// A browser that has no Web Locks (an old WebView), or refuses the request (storage blocked, a
// sandboxed frame), starts the app at once: it never waits, never reloads, and keeps what is
// typed. Before, a refusal was taken for a take-over and the page reloaded forever.
for (const [how, script] of [
  ["has no Web Locks", () => {
    Object.defineProperty(Navigator.prototype, "locks", { configurable: true, get: () => undefined });
  }],
  ["refuses the lock", () => {
    const refuse = () => Promise.reject(new DOMException("The request was denied.", "SecurityError"));
    Object.defineProperty(LockManager.prototype, "request", { configurable: true, value: refuse });
  }],
]) {
  test(`a browser that ${how} starts the app at once and keeps what is typed`, async ({ context }) => {
    await context.addInitScript(script);
    const page = await context.newPage();
    let loads = 0;
    page.on("load", () => { loads += 1; });
    await openSignedIn(page, "/?form=demo");
    await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
    const name = `无锁${Date.now().toString(36)}`;
    await page.getByLabel("姓名").fill(name);
    await page.waitForTimeout(2000);
    await expect(waiting(page)).toHaveCount(0);
    expect(loads).toBe(1);

    await page.reload();
    await expect(page.getByLabel("姓名")).toHaveValue(name);
  });
}
