// The inspector app's service worker. Registered from /inspector/ with scope "/" (the server sends
// Service-Worker-Allowed: /) so that a plate's URL (/t/…) opens the app too — with no network as well.
// It handles navigations to /inspector/* and /t/* only; every API call goes to the network untouched
// (the outbox in the page decides what to do when there is none).
import { precacheAndRoute, createHandlerBoundToURL, cleanupOutdatedCaches } from 'workbox-precaching';
import { registerRoute, NavigationRoute } from 'workbox-routing';

// Filled in by build.mjs: the app's page (by the hash of its HTML), its content-hashed assets, its icons.
precacheAndRoute(__PRECACHE_MANIFEST__);
cleanupOutdatedCaches();

registerRoute(new NavigationRoute(createHandlerBoundToURL('/inspector/'), {
  // Matched against the path and the query together: a plate's URL carries its signature or SUN in the query.
  allowlist: [/^\/inspector(\/|\?|$)/, /^\/t\/[0-9a-z]{6,32}(\?|$)/],
}));

// A new version waits for no tab: the shell is cached whole, so taking over at once cannot mix versions.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
