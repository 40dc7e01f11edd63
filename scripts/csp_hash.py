"""Trunk post-build hook: puts the hash of Trunk's inline loader script into index.html's
Content-Security-Policy (the 'sha256-TRUNK-LOADER' placeholder), so the strict policy allows
exactly that script and no other inline code. Fails the build if the placeholder or the
script is missing, so a page that would be blocked is never served."""

import base64
import hashlib
import os
import re
import sys

path = os.path.join(os.environ.get("TRUNK_STAGING_DIR", "dist"), "index.html")
html = open(path, encoding="utf-8").read()
scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
if len(scripts) != 1 or "sha256-TRUNK-LOADER" not in html:
    sys.exit(f"csp_hash: expected one inline script and the placeholder in {path}, found {len(scripts)} scripts")
digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
open(path, "w", encoding="utf-8").write(html.replace("sha256-TRUNK-LOADER", f"sha256-{digest}"))
print(f"csp_hash: allowed the loader script sha256-{digest}")
