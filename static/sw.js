// doorstep's service worker: keeps the app shell and the forms on the device so that the
// app opens and works without network. `cargo xtask` writes the two lines below at build
// time: VERSION is a hash of the build, PRECACHE lists every file the build produced.
const VERSION = "dev";
const PRECACHE = [];

const SHELL_CACHE = `doorstep-shell-${VERSION}`;
const FORMS_CACHE = "doorstep-forms";

// Forms (and the area's region lists) are cached at install too, because the page that registers the worker fetches its
// form before the worker controls it.
async function cacheForms() {
  try {
    const response = await fetch("/api/v1/forms", { cache: "no-store" });
    if (!response.ok) return;
    const forms = await response.clone().json();
    const cache = await caches.open(FORMS_CACHE);
    await cache.put("/api/v1/forms", response);
    const urls = [...forms.map((form) => form.url), "/api/v1/regions"];
    await Promise.all(urls.map((url) => cache.add(url).catch(() => undefined)));
  } catch (_) {
    // Offline at install: forms are cached when they are next fetched.
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // Past the browser's HTTP cache, so a new build never precaches an old index.html.
      await cache.addAll(["/", ...PRECACHE].map((url) => new Request(url, { cache: "reload" })));
      await cacheForms();
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("doorstep-shell-") && name !== SHELL_CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

// Forms: the network when it answers with a form, else the copy kept from last time. Only a
// JSON answer replaces that copy (a captive portal's HTML page must not). On a link that
// connects but does not answer (common in a village), the kept copy is used after
// NETWORK_PATIENCE_MS, and the network's answer, if it still comes, refreshes it for next time.
const NETWORK_PATIENCE_MS = 4000;

const isJson = (response) => (response.headers.get("content-type") || "").includes("json");

async function networkFirst(event) {
  const request = event.request;
  const cache = await caches.open(FORMS_CACHE);
  // Settles when the answer's headers arrive: the patience is for an answer, not for the whole
  // download over a slow link. The copy is refreshed while the page reads the body.
  const network = fetch(request).then((response) => {
    if (response.ok && isJson(response)) {
      event.waitUntil(
        cache.put(request, response.clone()).catch(() => {
          // The device's storage is full: the page still gets the answer, only the offline
          // copy is not refreshed.
        }),
      );
    }
    return response;
  });
  const patience = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_PATIENCE_MS));
  const first = await Promise.race([network.catch(() => null), patience]);
  if (first && first.ok && isJson(first)) return first;
  const cached = await cache.match(request);
  if (cached) {
    event.waitUntil(network.catch(() => undefined));
    return cached;
  }
  // Nothing kept: the network's answer, however long it takes, or its error.
  return network;
}

async function shellFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: request.mode === "navigate" });
  if (cached) return cached;
  // A page the worker does not keep (the example page of an embedding host, say) comes from
  // the network; the app's shell stands in for it only when the network cannot answer.
  if (request.mode === "navigate") {
    try {
      return await fetch(request);
    } catch (error) {
      const shell = await caches.match("/");
      if (shell) return shell;
      throw error;
    }
  }
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The list of forms and the region lists are configuration, like the forms: kept for offline
// use.
  const configuration = ["/api/v1/regions", "/api/v1/forms"];
  if (url.pathname.startsWith("/schemas/") || configuration.includes(url.pathname)) {
    event.respondWith(networkFirst(event));
    return;
  }
  if (url.pathname.startsWith("/api/")) return;
  event.respondWith(shellFirst(request));
});
