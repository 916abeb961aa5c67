// Registers Brokerlab's service worker (sw.js, which offline/build.mjs
// writes beside index.html) once the page has loaded, and says when a new
// version is ready.
//
// The page knows its own version (the `brokerlab-version` meta tag the build
// stamps) and asks each worker for its own. A page loaded from the network
// is already the newest version, so when the worker that installs behind it
// is the same version it takes over quietly. When the page is older than a
// waiting worker (it was opened from the cache, or stayed open across a
// deploy), a notice offers to reload: Reload activates the waiting worker
// and loads the page again once it is in control.
(() => {
  const container = navigator.serviceWorker;
  const version = document.querySelector('meta[name="brokerlab-version"]')?.content;
  if (!container || !version || version === 'BROKERLAB_VERSION') return;

  let reloadWhenReplaced = false;

  const versionOf = (worker) =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      worker.postMessage({ type: 'version' }, [channel.port2]);
    });

  function offerReload(reload) {
    if (document.querySelector('.update-notice')) return;
    // The live region goes into the page empty and is filled a moment later,
    // so that screen readers announce its text.
    const notice = document.createElement('div');
    notice.className = 'update-notice';
    notice.setAttribute('role', 'status');
    document.body.append(notice);
    setTimeout(() => {
      const text = document.createElement('p');
      text.textContent = 'A new version of Brokerlab is ready.';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Reload';
      button.addEventListener('click', () => {
        button.disabled = true;
        reload();
      });
      notice.append(text, button);
    }, 100);
  }

  async function considerWaiting(registration) {
    const waiting = registration.waiting;
    // A worker still installing is newer still; it is considered once installed.
    if (!waiting || registration.installing) return;
    if ((await versionOf(waiting)) === version) {
      waiting.postMessage({ type: 'skipWaiting' });
    } else {
      offerReload(() => {
        reloadWhenReplaced = true;
        waiting.postMessage({ type: 'skipWaiting' });
      });
    }
  }

  container.addEventListener('controllerchange', async () => {
    if (reloadWhenReplaced) {
      reloadWhenReplaced = false;
      location.reload();
      return;
    }
    // Another tab may have let a newer worker take over this one.
    const controller = container.controller;
    if (controller && (await versionOf(controller)) !== version) offerReload(() => location.reload());
  });

  async function start() {
    let registration;
    try {
      registration = await container.register('sw.js');
    } catch {
      // No worker (a private window, an insecure origin): the site works
      // online as it always has.
      return;
    }
    if (!registration) return;
    considerWaiting(registration);
    const watch = (installing) =>
      installing?.addEventListener('statechange', () => {
        if (installing.state === 'installed') considerWaiting(registration);
      });
    // The update that register() started may have been found before this
    // listener was added: a worker already installing is watched too, or
    // it would wait unconsidered until every tab closed.
    watch(registration.installing);
    registration.addEventListener('updatefound', () => watch(registration.installing));
    // A single-page app is rarely navigated, so it looks for a new version
    // itself: when the network comes back, and at most hourly while the tab
    // is open or when it is shown again.
    const hour = 60 * 60 * 1000;
    let checked = Date.now();
    const check = () => {
      checked = Date.now();
      registration.update().catch(() => {});
    };
    const checkHourly = () => document.visibilityState === 'visible' && Date.now() - checked > hour && check();
    addEventListener('online', check);
    document.addEventListener('visibilitychange', checkHourly);
    setInterval(checkHourly, hour / 6);
  }

  if (document.readyState === 'complete') start();
  else addEventListener('load', start, { once: true });
})();
