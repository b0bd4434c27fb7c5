// Signing in as the collector the test server is started with (see playwright.config.js).
const { expect } = require("@playwright/test");

const COLLECTOR = { name: "e2e", password: "e2e-password" };

/// Signs in on the sign-in screen the page shows, as `account`.
async function signIn(page, account = COLLECTOR) {
  await expect(page.getByRole("heading", { name: "登录" })).toBeVisible();
  await page.getByLabel("账号").fill(account.name);
  await page.getByLabel("密码").fill(account.password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByRole("heading", { name: "登录" })).toHaveCount(0);
}

/// Opens a page of the app and signs in on the sign-in screen it shows first.
async function openSignedIn(page, url, account = COLLECTOR) {
  await page.goto(url);
  await signIn(page, account);
}

module.exports = { COLLECTOR, openSignedIn, signIn };
