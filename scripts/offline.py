"""Trunk post-build step: fills in sw.js's list of files to keep offline and its version.

Every file of the build goes in the list except sw.js itself and models/ (the pretrained
weights, kept by the training worker when a person first uses them). The version is a hash of
every listed file's name and bytes, so any change in the build changes sw.js's bytes, which is
what makes a browser install the new version. Fails the build if sw.js has no placeholders."""

import hashlib
import json
import os
import sys

staging = os.environ.get("TRUNK_STAGING_DIR", "dist")
sw_path = os.path.join(staging, "sw.js")
files = []
for folder, dirs, names in os.walk(staging):
    dirs.sort()
    for name in sorted(names):
        path = os.path.relpath(os.path.join(folder, name), staging).replace(os.sep, "/")
        if path == "sw.js" or path.startswith("models/"):
            continue
        files.append(path)
if "index.html" not in files:
    sys.exit(f"offline: {staging}/index.html is missing")
digest = hashlib.sha256()
size = 0
for path in files:
    data = open(os.path.join(staging, path), "rb").read()
    size += len(data)
    digest.update(path.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little") + data)
version = digest.hexdigest()[:16]
sw = open(sw_path, encoding="utf-8").read()
if "'AGORA-OFFLINE-VERSION'" not in sw or "['AGORA-OFFLINE-FILES']" not in sw:
    sys.exit(f"offline: {sw_path} lacks its placeholders")
sw = sw.replace("'AGORA-OFFLINE-VERSION'", json.dumps(version))
sw = sw.replace("['AGORA-OFFLINE-FILES']", json.dumps(files))
open(sw_path, "w", encoding="utf-8").write(sw)
print(f"offline: sw.js keeps {len(files)} files ({size / 1e6:.1f} MB), version {version}")
