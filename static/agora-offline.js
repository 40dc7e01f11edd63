// Keeps Agora usable offline: registers the service worker (sw.js) and tells the page how it
// stands — 'kept' once this version is stored in the browser, 'update' when a newer version has
// been downloaded and waits, 'unavailable: …' when the browser cannot keep it (a private
// window, no service workers, storage refused). The page shows it (ui/offline.rs); reload()
// switches to the waiting version and reloads.
'use strict';

(function () {
  let state = 'starting';
  const listeners = [];
  let waiting = null;

  function set(next) {
    state = next;
    for (const listener of listeners) {
      try { listener(state); } catch (error) { console.error(error); }
    }
  }

  function watch(registration) {
    if (registration.waiting && navigator.serviceWorker.controller) {
      waiting = registration.waiting;
      set('update');
    }
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      if (!installing) return;
      installing.addEventListener('statechange', () => {
        if (installing.state === 'installed') {
          if (navigator.serviceWorker.controller) {
            waiting = installing;
            set('update');
          } else {
            set('kept');
          }
        } else if (installing.state === 'redundant' && state !== 'update') {
          set('unavailable: this browser refused to store the page (is its storage full?)');
        }
      });
    });
  }

  function start() {
    if (!('serviceWorker' in navigator)) {
      set('unavailable: this browser keeps no pages for offline use here (a private window, or an address that is not https)');
      return;
    }
    navigator.serviceWorker.register('./sw.js').then((registration) => {
      watch(registration);
      if (registration.active && state === 'starting') set('kept');
      navigator.serviceWorker.ready.then(() => { if (state === 'starting') set('kept'); });
    }).catch((error) => {
      set(`unavailable: ${error && error.message ? error.message : error}`);
    });
    let reloading = false;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (reloading || !waiting) return;
      reloading = true;
      location.reload();
    });
  }

  self.agoraOffline = {
    state: () => state,
    // Calls `listener(state)` now and on every change; returns the function that stops it.
    watch(listener) {
      listeners.push(listener);
      listener(state);
      return () => {
        const at = listeners.indexOf(listener);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
    // Switches to the waiting version; the page reloads when it takes over.
    reload() {
      if (waiting) waiting.postMessage('agora-update');
      else location.reload();
    },
  };
  if (document.readyState === 'complete') start();
  else self.addEventListener('load', start);
})();
