// A new version of the app (a new service worker) takes over while drafts are on the device:
// the new worker installs, replaces the old shell cache and controls the page, and the drafts
// are all there, readable and editable. The new build is the served worker with another
// version, written where the test server serves the app from and put back afterwards.
const { test, expect } = require("@playwright/test");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { openSignedIn } = require("./session");
const { showSection } = require("./fill");

// The built app the test server serves (see playwright.config.js).
const served = path.join(__dirname, "..", "..", "dist", "sw.js");

/// Writes the worker as a build does: the file and the Brotli and gzip copies the server
/// sends (see xtask/compress.js).
function writeWorker(text) {
  fs.writeFileSync(served, text);
  fs.writeFileSync(`${served}.br`, zlib.brotliCompressSync(text));
  fs.writeFileSync(`${served}.gz`, zlib.gzipSync(text));
}

/// Asks the browser for the new worker and waits until it controls the page and has replaced
/// the old shell cache.
async function takeOver(page, oldShell) {
  const changed = page.evaluate(() => new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), { once: true });
  }));
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  expect(await changed).toBe(true);
  await expect.poll(() => page.evaluate(() => caches.keys())).toContain("doorstep-shell-next-build");
  await expect.poll(() => page.evaluate(() => caches.keys())).not.toContain(oldShell);
}

test("an update of the app keeps the drafts", async ({ page }) => {
  await openSignedIn(page, "/");
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible();
  // The service worker of this build controls the page once it is reloaded.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  const oldShell = (await page.evaluate(() => caches.keys())).find((name) => name.startsWith("doorstep-shell-"));
  expect(oldShell).toBeTruthy();

  // A draft: 赵六's form, partly filled.
  const zhao = page.locator(".persons .person", { hasText: "赵六" });
  await zhao.getByRole("button").click();
  await showSection(page, "基本信息");
  await page.getByRole("textbox", { name: "手机号码", exact: true }).fill("13900001111");
  await page.getByRole("button", { name: "返回名册" }).click();
  // The line opens the draft. (Its status is 草稿, or 已上传 when an earlier test delivered 赵六
  // from another device: see delivered.spec.)
  await expect(zhao.getByRole("button")).toHaveAttribute("data-record", /^[0-9a-f-]{36}$/);
  const draft = await zhao.getByRole("button").getAttribute("data-record");

  // The server now serves a new build.
  const original = fs.readFileSync(served, "utf8");
  writeWorker(original.replace(/const VERSION = "[^"]*";/, 'const VERSION = "next-build";'));
  try {
    await takeOver(page, oldShell);
  } finally {
    writeWorker(original);
  }

  // The page under the new worker: the draft is there and can be edited on.
  await page.reload();
  await expect(zhao.getByRole("button")).toHaveAttribute("data-record", draft);
  await zhao.getByRole("button").click();
  await showSection(page, "基本信息");
  const phone = page.getByRole("textbox", { name: "手机号码", exact: true });
  await expect(phone).toHaveValue("13900001111");
  await phone.fill("13900002222");
  // A change is on the device within 300 ms (the durability test closes the page then).
  await page.waitForTimeout(300);
  await page.reload();
  await showSection(page, "基本信息");
  await expect(page.getByRole("textbox", { name: "手机号码", exact: true })).toHaveValue("13900002222");
});
