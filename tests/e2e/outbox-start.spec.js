// The network coming back while the app is starting reaches the outbox: a record queued offline
// is uploaded. The outbox was once made, then kept waiting for a read of the device, and only
// then put where the browser's `online` event finds it; an `online` event in that wait was lost,
// and the record stayed 待上传 until the network next went and came back.
//
// A second tab of the app's origin holds the device's stores with write transactions, which
// IndexedDB runs before the app's later reads of the same store, so that the app is held at
// exactly that point of its start while the network comes back.
const { test, expect } = require("@playwright/test");
const { goOffline, goOnline } = require("./network");
const { openSignedIn } = require("./session");
const { seedQueued } = require("./device");
const { storedRecords } = require("./server");

/// In the holding tab: keeps a write transaction on `store` open (a request after each
/// answer) until `release(store)`.
async function hold(holder, store) {
  await holder.evaluate(
    (store) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          window.held = window.held || {};
          window.held[store] = true;
          const tx = open.result.transaction(store, "readwrite");
          const spin = () => {
            if (window.held[store]) tx.objectStore(store).count().onsuccess = spin;
          };
          spin();
          tx.oncomplete = () => open.result.close();
          resolve();
        };
      }),
    store,
  );
}

const release = (holder, store) => holder.evaluate((store) => (window.held[store] = false), store);

test("the network back during the start uploads a record queued offline", async ({ page, context }) => {
  const run = Date.now().toString(36);
  await openSignedIn(page, "/?form=demo");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();
  await page.evaluate(() => navigator.serviceWorker.ready);
  // A page of the app's origin that is not the app.
  const holder = await context.newPage();
  await holder.goto("/api/v1/health");

  await goOffline(context);
  await seedQueued(page, run, 1, "启动");
  // The app's start reads the sign-in, then the records, then (with the outbox made) the kept
  // roster. Held at the records until its reads of the forms and regions (offline, from the
  // service worker) and of the sign-in are done.
  await hold(holder, "records");
  const loaded = Promise.all(
    ["/api/v1/forms", "/api/v1/regions"].map((path) =>
      page.waitForResponse((r) => r.url().includes(path)),
    ),
  );
  await page.reload();
  await loaded;
  await page.waitForTimeout(500);
  // Now held at the kept roster, the outbox made: the form shows once the records are read.
  await hold(holder, "session");
  await release(holder, "records");
  await expect(page.getByRole("heading", { name: "演示登记表" })).toBeVisible();

  await goOnline(context);
  await page.waitForTimeout(300);
  await release(holder, "session");

  await expect(page.getByText("全部已上传")).toBeVisible({ timeout: 20_000 });
  const mine = storedRecords().filter((r) => r.answers.name === `启动${run}-0`);
  expect(mine).toHaveLength(1);
});
