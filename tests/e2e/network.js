// Takes a tablet (a browser context) off the network and brings it back, for the tests of
// offline work.
//
// `context.setOffline` alone does not always keep requests from the server: Chromium applies
// the emulation to the page and, separately, to the service worker, and a request that passes
// through the worker can slip past it (microsoft/playwright#2311). Twice in CI a record
// completed "offline" reached the server tens of milliseconds later. So, while a tablet is
// offline, its requests to the API are also refused here, as a real lost network would refuse
// them; the app's forms and its shell come from the service worker's cache, as on a tablet.
//
// Each page also tells the `online` and `offline` events the browser fires (on its console,
// so that a page reloaded since still counts). An `online` event while the test has the tablet
// offline is not the app's doing; it is reported, so that a failure it causes can be told from
// the app's own.

const API = /\/api\//;
const refuse = (route) => route.abort("internetdisconnected");
const MARK = "network.js: heard ";

// Tells the page's `online` and `offline` events on its console.
function listen() {
  if (window.__networkEventsTold) return;
  window.__networkEventsTold = true;
  for (const type of ["online", "offline"]) {
    window.addEventListener(type, () => console.debug(`network.js: heard ${type}`));
  }
}

/// The `online` events each context's pages told, with when the test heard them.
const heardOnline = new WeakMap();

/// Begins noting the browser's `online` events in each page of `context`, those open now and
/// those loaded later (a reload while offline among them).
async function noteNetworkEvents(context) {
  if (!heardOnline.has(context)) {
    heardOnline.set(context, []);
    context.on("console", (message) => {
      if (message.text() === `${MARK}online`) {
        heardOnline.get(context).push({ page: message.page()?.url(), at: Date.now() });
      }
    });
    await context.addInitScript(listen);
  }
  for (const page of context.pages()) {
    await page.evaluate(listen).catch(() => undefined);
  }
}

/// Reports any `online` event a page of `context` told since `since` (a time in ms).
function reportStrayOnline(context, since) {
  const stray = (heardOnline.get(context) || []).filter((e) => e.at >= since);
  if (stray.length > 0) {
    console.warn(
      `network.js: heard "online" ${stray.length} time(s) while the test had the tablet offline, ` +
        stray.map((e) => `${e.at - since} ms after going offline (${e.page})`).join(", "),
    );
  }
}

const offlineSince = new WeakMap();

/// Takes `context` off the network: the browser reports it offline, and its API requests fail.
async function goOffline(context) {
  await noteNetworkEvents(context);
  await context.route(API, refuse);
  await context.setOffline(true);
  offlineSince.set(context, Date.now());
}

/// Brings `context` back on the network.
async function goOnline(context) {
  const since = offlineSince.get(context);
  if (since !== undefined) {
    reportStrayOnline(context, since);
    offlineSince.delete(context);
  }
  await context.unroute(API, refuse);
  await context.setOffline(false);
}

module.exports = { goOffline, goOnline };
