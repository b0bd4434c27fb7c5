// A form that does not load must say which file and where, in the app.
const { test, expect } = require("@playwright/test");

// The service worker would answer the form request itself; block it so the route below does.
test.use({ serviceWorkers: "block" });

test("a malformed form is reported with its file and place, and the app opens with the others", async ({ page }) => {
  await page.route("**/schemas/demo.json", (route) =>
    route.fulfill({
      contentType: "application/json",
      body: '{"id": "demo", "version": "1", "title": {}, "sections": [{"id": 3}]}',
    }),
  );
  await page.goto("/");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("表单无法加载");
  await expect(alert).toContainText("/schemas/demo.json");
  // The place by line and column, and what is wrong there. (The app leaves out the JSON path,
  // "sections[0].id", for size: `doorstep check` and the server's start name it.)
  await expect(alert).toContainText("line 1, column 65: invalid type: integer `3`, expected a string");
  // The other forms loaded: the app goes on to ask for the sign-in rather than stop.
  await expect(page.getByRole("button", { name: "登录" })).toBeVisible();
});

test("in the one-form mode a malformed form stops the app and says why", async ({ page }) => {
  await page.route("**/schemas/demo.json", (route) =>
    route.fulfill({ contentType: "application/json", body: '{"id": "demo", "version": "1"' }),
  );
  await page.goto("/?form=demo");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("表单无法加载");
  await expect(alert).toContainText("/schemas/demo.json");
  await expect(page.getByRole("button", { name: "登录" })).toHaveCount(0);
});
