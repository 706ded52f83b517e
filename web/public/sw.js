// The vendor app's service worker: the app shell is cached so the app starts on a warehouse
// floor with poor signal; the API and the feeds are never cached (stale orders or stock would
// pass for true ones).
const SHELL = "oms-shell-v1";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(["/vendor", "/manifest.webmanifest", "/favicon.svg"]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/v1/")) return;
  // Network first, so a deploy is seen at once; the cache answers only when the network cannot.
  event.respondWith(
    fetch(event.request)
      .then((res) => {
        if (res.ok && (url.pathname.startsWith("/assets/") || event.request.mode === "navigate")) {
          const copy = res.clone();
          void caches
            .open(SHELL)
            .then((cache) => cache.put(event.request.mode === "navigate" ? "/vendor" : event.request, copy));
        }
        return res;
      })
      .catch(() =>
        caches
          .match(event.request.mode === "navigate" ? "/vendor" : event.request)
          .then((hit) => hit ?? Response.error()),
      ),
  );
});
