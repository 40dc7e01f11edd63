// The projects a person works on, kept in this browser's IndexedDB so a reload, a closed tab
// or a browser restart resumes where they were — trained weights included. Each of the page's
// two projects (rows of numbers, images) is one project file's bytes under its slot, the same
// bytes "Save project" writes. Also: asking for persistent storage, and saving a file.
'use strict';

(function () {
  const DB_NAME = 'agora-projects';
  const STORE = 'files';
  let opening = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  // Opens the database; with `create` false, resolves null when there is none yet (reading
  // leaves no storage behind).
  function open(create) {
    if (opening) return opening;
    const attempt = new Promise((resolve, reject) => {
      if (!self.indexedDB) { reject(new Error('this browser offers no IndexedDB storage (private window?)')); return; }
      const req = indexedDB.open(DB_NAME, 1);
      let refused = false;
      req.onupgradeneeded = (event) => {
        if (!create && event.oldVersion === 0) { refused = true; req.transaction.abort(); return; }
        req.result.createObjectStore(STORE);
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; if (refused) resolve(null); else reject(req.error); };
      req.onblocked = () => { opening = null; reject(new Error('storage is busy in another tab')); };
    });
    opening = attempt.then((db) => { if (!db) opening = null; return db; });
    return opening;
  }

  function isQuota(error) {
    return !!error && (error.name === 'QuotaExceededError' || (error.inner && error.inner.name === 'QuotaExceededError'));
  }

  self.agoraProjects = {
    // Keeps `bytes` (a Uint8Array) as the slot's project; all or nothing. A full quota throws
    // an Error named 'QuotaExceededError' and leaves what was saved before.
    async save(slot, bytes) {
      const db = await open(true);
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(bytes, slot);
      await new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = tx.onerror = () => {
          const error = tx.error || new Error('the storage transaction was aborted');
          if (isQuota(error)) {
            const full = new Error('the storage quota is full');
            full.name = 'QuotaExceededError';
            reject(full);
          } else reject(error);
        };
      });
    },

    // The slot's project bytes, or null.
    async load(slot) {
      const db = await open(false);
      if (!db) return null;
      const value = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(slot));
      return value instanceof Uint8Array ? value : null;
    },

    // Removes every kept project.
    async deleteAll() {
      if (opening) { const db = await opening.catch(() => null); if (db) db.close(); opening = null; }
      await new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(DB_NAME);
        req.onsuccess = () => resolve();
        req.onerror = () => reject(req.error);
        req.onblocked = () => setTimeout(() => reject(new Error('another Agora tab is holding the storage open; close it and the deletion finishes')), 10000);
      });
    },

    // Asks the browser to keep this site's storage under pressure: 'granted', 'denied' (the
    // browser may still evict it), or 'unsupported'.
    async persist() {
      if (!navigator.storage || !navigator.storage.persist) return 'unsupported';
      try {
        if (await navigator.storage.persisted()) return 'granted';
        return (await navigator.storage.persist()) ? 'granted' : 'denied';
      } catch (error) {
        return 'denied';
      }
    },

    // Offers `bytes` as a file download named `name` (made here; nothing is sent anywhere).
    download(bytes, name, type) {
      const url = URL.createObjectURL(new Blob([bytes], { type: type || 'application/zip' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    },
    // Calls `open(file)` for an .agora file dropped anywhere on the page (before the panels
    // that take images or tables see it); other drops are left to them.
    onDrop(open) {
      const isProject = (file) => /\.agora$/i.test(file.name);
      window.addEventListener('dragover', (event) => {
        if (event.dataTransfer && [...event.dataTransfer.types].includes('Files')) event.preventDefault();
      });
      window.addEventListener('drop', (event) => {
        const files = event.dataTransfer ? [...event.dataTransfer.files] : [];
        const project = files.find(isProject);
        if (!project) return;
        event.preventDefault();
        event.stopPropagation();
        open(project);
      }, true);
      // A file dropped where nothing takes it must not replace the page.
      window.addEventListener('drop', (event) => event.preventDefault());
    },
    // Prints the page (the model card's print styles show the card alone).
    print() {
      document.body.classList.add('printing-card');
      window.print();
      document.body.classList.remove('printing-card');
    },
  };
})();
