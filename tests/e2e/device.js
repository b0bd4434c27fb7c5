// The app's IndexedDB as tests and benchmarks reach it from the page: records put in the queue
// as the app writes them, what the device holds, and a sign-in made stale.
//
// Each function runs in the page (page.evaluate) and opens the database `doorstep` itself.

/// Puts `n` completed demo-form records in the device's queue, ids and names tagged by `run`
/// and `prefix` (record k is named `${prefix}${run}-${k}`, aged k % 100).
async function seedQueued(page, run, n, prefix) {
  await page.evaluate(async ({ run, n, prefix }) => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("doorstep");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction("records", "readwrite");
    const store = tx.objectStore("records");
    for (let k = 0; k < n; k++) {
      store.put({
        id: `0190f000-${run}-7000-8000-${String(k).padStart(12, "0")}`,
        form_id: "demo", form_version: "1", status: "queued",
        answers: { name: `${prefix}${run}-${k}`, visited: "1", age: k % 100 },
        revision: 3, created_at: 1, updated_at: 2, completed_at: 2,
      });
    }
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, { run, n, prefix });
}

/// Every record on the device.
async function deviceRecords(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction("records").objectStore("records").getAll();
          all.onsuccess = () => {
            open.result.close();
            resolve(all.result);
          };
        };
      }),
  );
}

/// Replaces the token of the sign-in kept on the device, as when the server has forgotten it.
async function setToken(page, token) {
  await page.evaluate(
    (token) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onsuccess = () => {
          const tx = open.result.transaction("session", "readwrite");
          const store = tx.objectStore("session");
          const get = store.get("current");
          get.onsuccess = () => store.put({ ...get.result, token }, "current");
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    token,
  );
}

/// Removes one value kept in the app's session store.
async function forgetKept(page, key) {
  await page.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction("session", "readwrite");
          tx.objectStore("session").delete(key);
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    key,
  );
}

/// Whether the app's session store keeps a value under `key`.
async function keeps(page, key) {
  return page.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          try {
            const count = open.result.transaction("session").objectStore("session").count(key);
            count.onsuccess = () => {
              open.result.close();
              resolve(count.result > 0);
            };
            count.onerror = () => reject(count.error);
          } catch (e) {
            // No session store yet: the app has not made its database.
            open.result.close();
            resolve(false);
          }
        };
      }),
    key,
  );
}

/// Waits until the device keeps the collector's roster with the server's tag of it, as a
/// device that has been signed in for a while does (at most `ms` milliseconds).
async function rosterKept(page, ms = 60000) {
  const until = Date.now() + ms;
  while (!(await keeps(page, "assignments-tag"))) {
    if (Date.now() > until) throw new Error(`the roster was not kept within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/// Removes the server's tag of the roster kept on the device, so that the next start fetches
/// the roster whole, as on a device that kept none.
const forgetRosterTag = (page) => forgetKept(page, "assignments-tag");

/// Removes the sign-in kept on the device (the roster stays), as after a sign-out.
const forgetSession = (page) => forgetKept(page, "current");

/// The records delivered the device keeps (the server's `GET /api/v1/delivered`), or null.
async function keptDelivered(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction("session").objectStore("session").get("delivered");
          get.onsuccess = () => {
            open.result.close();
            resolve(get.result ? JSON.parse(new TextDecoder().decode(get.result)).records : null);
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );
}

module.exports = { seedQueued, deviceRecords, setToken, forgetRosterTag, forgetSession, rosterKept, keeps, keptDelivered };
