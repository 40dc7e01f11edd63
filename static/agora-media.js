// The page's side of adding images: reading dropped folders, decoding files with the
// browser's own decoders, and the webcam. Pixels come back as RGB bytes, centre-cropped to
// a square and resized on this device; nothing is sent anywhere.
'use strict';

(function () {
  function rgbFrom(canvas, side) {
    const rgba = canvas.getContext('2d').getImageData(0, 0, side, side).data;
    const rgb = new Uint8Array(side * side * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    return rgb;
  }

  function canvas(side) {
    const c = new OffscreenCanvas(side, side);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    // Transparent pixels become white, as they look on a page.
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, side, side);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    return c;
  }

  // Draws the centre square of `source` (w×h) scaled to side×side and returns its RGB bytes.
  function squareOf(source, w, h, side) {
    const s = Math.min(w, h);
    const c = canvas(side);
    c.getContext('2d').drawImage(source, Math.floor((w - s) / 2), Math.floor((h - s) / 2), s, s, 0, 0, side, side);
    return rgbFrom(c, side);
  }

  async function walk(entry, out) {
    if (entry.isFile) {
      out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, out);
      }
    }
  }

  let burst = null;

  self.agoraMedia = {
    // The files in a drop, with folders opened (recursively). Must be called while the drop
    // event is being handled: the browser empties the DataTransfer afterwards.
    filesFromDrop(dataTransfer) {
      const entries = [];
      const loose = [];
      for (const item of Array.from(dataTransfer.items || [])) {
        if (item.kind !== 'file') continue;
        const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
        if (entry) entries.push(entry); else loose.push(item.getAsFile());
      }
      if (entries.length === 0 && loose.length === 0) {
        return Promise.resolve(Array.from(dataTransfer.files || []));
      }
      return (async () => {
        const out = loose.filter(Boolean);
        for (const entry of entries) await walk(entry, out);
        return out;
      })();
    },

    filesFromList(list) {
      return Array.from(list || []);
    },

    fileName(file) {
      return file.webkitRelativePath || file.name || 'pasted image';
    },

    fileSize(file) {
      return file.size;
    },

    async bytes(file) {
      return new Uint8Array(await file.arrayBuffer());
    },

    // Decodes an image file and returns its centre square as side×side RGB bytes.
    async decode(file, side) {
      let bitmap;
      try {
        bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      } catch (error) {
        throw new Error('the browser could not decode it');
      }
      try {
        const s = Math.min(bitmap.width, bitmap.height);
        // Let the decoder's resampler shrink big photos first: drawImage alone aliases.
        const small = await createImageBitmap(bitmap,
          Math.floor((bitmap.width - s) / 2), Math.floor((bitmap.height - s) / 2), s, s,
          { resizeWidth: side, resizeHeight: side, resizeQuality: 'high' });
        try {
          return squareOf(small, side, side, side);
        } finally {
          small.close();
        }
      } finally {
        bitmap.close();
      }
    },

    async startCamera(video) {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw new Error('this browser offers no camera access (it needs a secure page: https or localhost)');
      }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      } catch (error) {
        if (error.name === 'NotAllowedError') throw new Error('camera permission was denied: allow it in the address bar and try again');
        if (error.name === 'NotFoundError') throw new Error('no camera was found on this device');
        if (error.name === 'NotReadableError') throw new Error('the camera is in use by another program');
        throw new Error(error.message || String(error));
      }
      video.srcObject = stream;
      video.muted = true;
      video.playsInline = true;
      await video.play();
    },

    stopCamera(video) {
      const stream = video && video.srcObject;
      if (stream) stream.getTracks().forEach((track) => track.stop());
      if (video) video.srcObject = null;
      this.stopBurst();
    },

    cameraOn(video) {
      return !!(video && video.srcObject && video.videoWidth > 0);
    },

    // One frame of the webcam, centre-cropped, as side×side RGB bytes.
    grab(video, side) {
      if (!this.cameraOn(video)) throw new Error('the webcam is not running');
      return squareOf(video, video.videoWidth, video.videoHeight, side);
    },

    // Starts taking a frame now and every `everyMs` until stopBurst; returns nothing.
    startBurst(video, side, everyMs) {
      this.stopBurst();
      const frames = [this.grab(video, side)];
      const timer = setInterval(() => {
        if (this.cameraOn(video) && frames.length < 600) frames.push(this.grab(video, side));
      }, everyMs);
      burst = { frames, timer };
    },

    // The frames taken since startBurst.
    stopBurst() {
      if (!burst) return [];
      clearInterval(burst.timer);
      const frames = burst.frames;
      burst = null;
      return frames;
    },
  };
})();
