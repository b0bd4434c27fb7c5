// 500 records queued on the device reach the server exactly once while the connection comes
// and goes 20 times during the upload; the queue ends empty and the app says so.
const { test, expect } = require("@playwright/test");
const { execFileSync } = require("child_process");
const path = require("path");

const root = path.join(__dirname, "..", "..");
const data = process.env.DOORSTEP_E2E_DATA || path.join(root, "target", "e2e-data");

function storedRecords() {
  const out = execFileSync(path.join(root, "target", "release", "doorstep"), ["export", "--data", data], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

test("500 queued records, offline and online 20 times, arrive once each", async ({ page, context }) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await context.setOffline(true);
  // Put 500 completed records in the app's IndexedDB store, as the app itself writes them.
  await page.evaluate(async (run) => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("doorstep");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction("records", "readwrite");
    const store = tx.objectStore("records");
    for (let n = 0; n < 500; n++) {
      store.put({
        id: `0190f000-${run}-7000-8000-${String(n).padStart(12, "0")}`,
        form_id: "demo",
        form_version: "1",
        status: "queued",
        answers: { name: `同步${run}-${n}`, visited: "1", age: n % 100 },
        revision: 3,
        created_at: 1,
        updated_at: 2,
        completed_at: 2,
      });
    }
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, run);
  await page.reload();
  await expect(page.getByText("正在上传 0/500")).toBeVisible();

  const mine = () => storedRecords().filter((r) => r.answers.name.startsWith(`同步${run}-`));
  expect(mine()).toHaveLength(0);
  await context.setOffline(false);
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(40 + (i % 3) * 30);
    await context.setOffline(true);
    await page.waitForTimeout(30);
    await context.setOffline(false);
  }
  await expect(page.getByText("全部已上传")).toBeVisible({ timeout: 60_000 });
  await expect(page.locator(".record.status-queued")).toHaveCount(0);
  await expect(page.locator(".record.status-sent")).toHaveCount(500);

  const stored = mine();
  expect(stored).toHaveLength(500);
  expect(new Set(stored.map((r) => r.id)).size).toBe(500);
  for (const record of stored) {
    const n = Number(record.id.split("-").pop());
    expect(record.answers).toEqual({ name: `同步${run}-${n}`, visited: "1", age: n % 100 });
  }
  // Nothing is left queued on the device either.
  const queued = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const open = indexedDB.open("doorstep");
        open.onsuccess = () => {
          const all = open.result.transaction("records").objectStore("records").getAll();
          all.onsuccess = () => resolve(all.result.filter((r) => r.status === "queued").length);
        };
      }),
  );
  expect(queued).toBe(0);
});
