// A record the server refuses comes back as a draft with the server's messages at its fields;
// each message goes once the collector changes the answer it is about (it stayed until the
// record was completed again, even on a field already put right).
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { openSignedIn } = require("./session");
const { storedRecords } = require("./server");

test("a returned record shows the server's messages until the answers they are about change", async ({ page, context }) => {
  const run = Date.now().toString(36);
  const name = `退回${run}`;
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await goOffline(context);
  // A completed record that the server's check refuses: 130 years old. (The app's own check
  // would not have completed it; an older app, or another device, might have.)
  await page.evaluate(async (name) => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("doorstep");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction("records", "readwrite");
    tx.objectStore("records").put({
      id: `0190f000-0000-7000-8000-${Date.now().toString().padStart(12, "0").slice(-12)}`,
      form_id: "demo", form_version: "1", status: "queued",
      answers: { name, visited: "1", age: 130 },
      revision: 3, created_at: 1, updated_at: 2, completed_at: 2,
    });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, name);
  await page.reload();
  await goOnline(context);

  const line = page.locator(".record", { hasText: name });
  await expect(line).toHaveClass(/status-draft/, { timeout: 20_000 });
  expect(storedRecords().filter((r) => r.answers.name === name)).toHaveLength(0);
  await line.getByRole("button", { name: "继续填写" }).click();
  const age = page.getByLabel("年龄");
  await expect(age).toHaveValue("130");
  await expect(age).toHaveAttribute("aria-invalid", "true");
  const message = page.locator(".field[data-field=age]").getByText("年龄应在 0 到 120 岁之间");
  await expect(message.first()).toBeVisible();

  // Put right, the field is clear at once, the server's message with the app's own.
  await age.fill("67");
  await expect(age).toHaveAttribute("aria-invalid", "false");
  await expect(message).toHaveCount(0);
});
