// Signing in as the collector the test server is started with (see playwright.config.js).
const { expect } = require("@playwright/test");

const COLLECTOR = { name: "e2e", password: "e2e-password" };

/// Opens a page of the app and signs in on the sign-in screen it shows first.
async function openSignedIn(page, url) {
  await page.goto(url);
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  await page.getByLabel("账号").fill(COLLECTOR.name);
  await page.getByLabel("密码").fill(COLLECTOR.password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByRole("heading", { name: "登录" })).toHaveCount(0);
}

module.exports = { COLLECTOR, openSignedIn };
