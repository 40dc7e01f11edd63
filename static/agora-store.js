// The person's own images, kept in this browser's IndexedDB and nowhere else.
//
// Loaded by the page (<script src>) and by the training worker (importScripts); both see the
// same database because they share the page's origin. Images are stored as 64×64 RGB bytes
// (12 KiB each); classes as {id, name, color, order}; the pretrained network's features of an
// image (1280 float32s, 5 KiB) under "model:imageId" in `features`, computed once. Everything here is promise-based and
// throws Error objects whose message a person can read.
'use strict';

(function () {
  const DB_NAME = 'agora-photos';
  const DB_VERSION = 2;
  const SIDE = 64;
  let opening = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('the storage transaction was aborted'));
    });
  }

  const NO_DATABASE = 'agora: no database yet';

  // Opens the database. With `create` false a database that does not exist yet is not created
  // (the upgrade is aborted, which deletes the new empty database) and this rejects with
  // NO_DATABASE: reading must never leave storage behind.
  function open(create = true) {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        if (!self.indexedDB) {
          reject(new Error('this browser offers no IndexedDB storage (private window?)'));
          return;
        }
        const req = indexedDB.open(DB_NAME, DB_VERSION);
        let refused = false;
        req.onupgradeneeded = (event) => {
          if (!create && event.oldVersion === 0) {
            refused = true;
            req.transaction.abort();
            return;
          }
          const db = req.result;
          if (event.oldVersion < 1) {
            db.createObjectStore('classes', { keyPath: 'id' });
            const images = db.createObjectStore('images', { keyPath: 'id', autoIncrement: true });
            images.createIndex('class', 'class');
          }
          if (!db.objectStoreNames.contains('features')) db.createObjectStore('features');
        };
        req.onsuccess = () => {
          const db = req.result;
          // Another tab deleting the database: let it, and reopen next time.
          db.onversionchange = () => { db.close(); opening = null; };
          resolve(db);
        };
        req.onerror = () => {
          opening = null;
          reject(refused ? new Error(NO_DATABASE) : req.error);
        };
        req.onblocked = () => { opening = null; reject(new Error('storage is busy in another tab')); };
      });
    }
    return opening;
  }

  // True for the error browsers raise when the site's storage quota is used up.
  function isQuota(error) {
    return !!error && (error.name === 'QuotaExceededError' ||
      (error.inner && error.inner.name === 'QuotaExceededError'));
  }

  const store = {
    SIDE,

    // {classes: [{id, name, color}], counts: [[classId, count]], thumbs: [[classId, imageId, Uint8Array]]}
    // with up to `perClass` newest thumbnails per class.
    async load(perClass) {
      // A visit that stores nothing leaves nothing behind: reading creates no database.
      let db;
      try {
        db = await open(false);
      } catch (error) {
        if (error.message === NO_DATABASE) return { classes: [], counts: [], thumbs: [] };
        throw error;
      }
      const tx = db.transaction(['classes', 'images'], 'readonly');
      const classes = (await request(tx.objectStore('classes').getAll()))
        .sort((a, b) => a.order - b.order);
      const index = tx.objectStore('images').index('class');
      const counts = [];
      const thumbs = [];
      for (const c of classes) {
        counts.push([c.id, await request(index.count(IDBKeyRange.only(c.id)))]);
        await new Promise((resolve, reject) => {
          let taken = 0;
          const req = index.openCursor(IDBKeyRange.only(c.id), 'prev');
          req.onsuccess = () => {
            const cursor = req.result;
            if (!cursor || taken >= perClass) { resolve(); return; }
            thumbs.push([c.id, cursor.value.id, cursor.value.pixels]);
            taken += 1;
            cursor.continue();
          };
          req.onerror = () => reject(req.error);
        });
      }
      return {
        classes: classes.map(({ id, name, color }) => ({ id, name, color })),
        counts,
        thumbs,
      };
    },

    // Writes the class list (ids, names, colours, order).
    async saveClasses(classes) {
      const db = await open();
      const tx = db.transaction('classes', 'readwrite');
      const os = tx.objectStore('classes');
      os.clear();
      classes.forEach((c, order) => os.put({ id: c.id, name: c.name, color: c.color, order }));
      try {
        await done(tx);
      } catch (error) {
        throw isQuota(error) ? quotaError() : error;
      }
    },

    // Stores the images (Uint8Array each, 64×64×3) in one transaction: all or none.
    // Returns their ids. A full quota throws an Error named 'QuotaExceededError'.
    async addImages(classId, images) {
      const db = await open();
      const tx = db.transaction('images', 'readwrite');
      const os = tx.objectStore('images');
      const ids = images.map(() => 0);
      images.forEach((pixels, i) => {
        const req = os.add({ class: classId, pixels });
        req.onsuccess = () => { ids[i] = req.result; };
      });
      try {
        await done(tx);
      } catch (error) {
        throw isQuota(error) ? quotaError() : error;
      }
      return ids;
    },

    // Deletes a class and its images.
    async deleteClass(classId) {
      const db = await open();
      const tx = db.transaction(['classes', 'images'], 'readwrite');
      tx.objectStore('classes').delete(classId);
      const index = tx.objectStore('images').index('class');
      const req = index.openKeyCursor(IDBKeyRange.only(classId));
      const images = tx.objectStore('images');
      req.onsuccess = () => {
        const cursor = req.result;
        if (cursor) { images.delete(cursor.primaryKey); cursor.continue(); }
      };
      await done(tx);
    },

    // Removes the whole database.
    async deleteAll() {
      if (opening) {
        const db = await opening.catch(() => null);
        if (db) db.close();
        opening = null;
      }
      // Other connections (the training worker, other tabs) are asked to close; the deletion
      // completes once they have. Only then is the data gone, so only then do we say so.
      await new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(DB_NAME);
        let timer = null;
        req.onsuccess = () => { clearTimeout(timer); resolve(); };
        req.onerror = () => { clearTimeout(timer); reject(req.error); };
        req.onblocked = () => {
          timer = setTimeout(() => reject(new Error('another Agora tab is holding the storage open; close it and the deletion finishes')), 10000);
        };
      });
    },

    // {usage, quota} in bytes, as the browser estimates them for this site.
    async estimate() {
      if (!navigator.storage || !navigator.storage.estimate) return { usage: 0, quota: 0 };
      const { usage, quota } = await navigator.storage.estimate();
      return { usage: usage || 0, quota: quota || 0 };
    },

    // Every image of these classes, for training: {classes: Uint32Array, pixels: Uint8Array}
    // with the images' class ids and their pixels back to back. Read in pages of 1,000 so the
    // objects IndexedDB hands out never pile up.
    async loadAll(classIds) {
      let db;
      try {
        db = await open(false);
      } catch (error) {
        if (error.message === NO_DATABASE) return { classes: new Uint32Array(0), ids: new Float64Array(0), pixels: new Uint8Array(0) };
        throw error;
      }
      const wanted = new Set(classIds);
      const labels = [];
      const ids = [];
      const chunks = [];
      let count = 0;
      let after = null;
      for (;;) {
        const tx = db.transaction('images', 'readonly');
        const range = after === null ? null : IDBKeyRange.lowerBound(after, true);
        const page = await request(tx.objectStore('images').getAll(range, 1000));
        if (page.length === 0) break;
        const chunk = new Uint8Array(page.length * SIDE * SIDE * 3);
        let n = 0;
        for (const record of page) {
          after = record.id;
          if (!wanted.has(record.class) || record.pixels.length !== SIDE * SIDE * 3) continue;
          chunk.set(record.pixels, n * SIDE * SIDE * 3);
          labels.push(record.class);
          ids.push(record.id);
          n += 1;
        }
        chunks.push(chunk.subarray(0, n * SIDE * SIDE * 3));
        count += n;
      }
      const pixels = new Uint8Array(count * SIDE * SIDE * 3);
      let at = 0;
      for (const chunk of chunks) { pixels.set(chunk, at); at += chunk.length; }
      return { classes: Uint32Array.from(labels), ids: Float64Array.from(ids), pixels };
    },

    // The features `model` gave these images, where kept: {have: Uint8Array (1 where found),
    // values: Float32Array (width each, zeros where not)}.
    async loadFeatures(model, ids, width) {
      const db = await open();
      const tx = db.transaction('features', 'readonly');
      const os = tx.objectStore('features');
      const have = new Uint8Array(ids.length);
      const values = new Float32Array(ids.length * width);
      await Promise.all(Array.from(ids, (id, i) => request(os.get(`${model}:${id}`)).then((v) => {
        if (v instanceof Float32Array && v.length === width) { values.set(v, i * width); have[i] = 1; }
      })));
      return { have, values };
    },

    // Keeps the features `model` gave these images (width float32s each, back to back).
    async putFeatures(model, ids, values, width) {
      const db = await open();
      const tx = db.transaction('features', 'readwrite');
      const os = tx.objectStore('features');
      Array.from(ids).forEach((id, i) => os.put(values.slice(i * width, (i + 1) * width), `${model}:${id}`));
      try {
        await done(tx);
      } catch (error) {
        throw isQuota(error) ? quotaError() : error;
      }
    },
  };

  function quotaError() {
    const error = new Error('the storage quota is full');
    error.name = 'QuotaExceededError';
    return error;
  }

  self.agoraStore = store;
})();
