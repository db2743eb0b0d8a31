// Lifeline's service worker: keeps the dashboard's own files (index.html and the hashed assets of
// this build) so that the page, above all the device check (#/device), still opens on a device
// that cannot reach the Lifeline server, and says so instead of showing a browser error.
// It never answers for the API (/v1/..., /healthz, /metrics, /openapi.json) nor for another
// origin: those go to the network as if it were not there, and nothing of theirs is cached.
// vite.config.ts fills in the build's file list and version.
const VERSION = "__LIFELINE_SW_VERSION__";
const PRECACHE = __LIFELINE_SW_FILES__;
const CACHE = `lifeline-${VERSION}`;

function isApi(path) {
  return path === "/v1" || path.startsWith("/v1/") || path === "/healthz" || path === "/metrics" || path === "/openapi.json";
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((u) => new Request(u, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("lifeline-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || isApi(url.pathname)) return;
  if (req.mode === "navigate") {
    // The network first (a new build shows at once); the kept page when it cannot be reached.
    event.respondWith(
      fetch(req)
        .then((res) => {
          const type = res.headers.get("content-type") ?? "";
          if (res.ok && type.startsWith("text/html")) {
            const copy = res.clone();
            event.waitUntil(caches.open(CACHE).then((c) => c.put("/", copy)));
          }
          return res;
        })
        .catch(() =>
          caches.match("/", { cacheName: CACHE }).then(
            (hit) =>
              hit ??
              new Response(
                "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'><title>Lifeline</title><p>This device cannot reach Lifeline or the platforms: check the connection.",
                { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
              ),
          ),
        ),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Named by their content: a kept copy is always right.
    event.respondWith(
      caches.match(req, { cacheName: CACHE }).then(
        (hit) =>
          hit ??
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              event.waitUntil(caches.open(CACHE).then((c) => c.put(req, copy)));
            }
            return res;
          }),
      ),
    );
  }
});
