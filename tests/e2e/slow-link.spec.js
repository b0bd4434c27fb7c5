// A link that connects but never answers, common in a village: the app still opens, with the
// forms kept from last time, once the service worker stops waiting for the network.
//
// Requests made by the service worker itself are routed only with
// PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS on, which playwright.config.js sets for every
// test (set here, it would reach only the files that run after this one).
const { test, expect } = require("@playwright/test");
const { openSignedIn } = require("./session");

test("a link that never answers does not keep the app from opening", async ({ page, context }) => {
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  // The worker controls the page once it is reloaded; it kept the forms when it installed.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();

  // From now on the forms and the area are asked for and never answered.
  const unanswered = [];
  await context.route(/\/(schemas\/|api\/v1\/(forms|regions))/, (route) => {
    unanswered.push(route.request().url());
  });
  await page.reload();
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByLabel("姓名")).toBeEditable();
  // The worker did ask the network first.
  expect(unanswered.some((url) => url.includes("/schemas/demo.json"))).toBe(true);

  // The roster too, which first asks for the list of forms, then each form, and the area.
  await page.goto("/");
  // Two waits of the worker's patience in turn (the list, then the forms): about 8 s.
  await expect(page.getByRole("heading", { name: "调查名册" })).toBeVisible({ timeout: 25_000 });
  await expect(page.locator(".persons .person").first()).toBeVisible();
  expect(unanswered.some((url) => url.endsWith("/api/v1/forms"))).toBe(true);
});
