#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/ (run from fuzz/).

Seeds are a handful of realistic inputs per target: cookies from the codec's Flask vectors (the
ones signed with the fuzz targets' keys are re-signed with the greeting-server binary's `sign`
subcommand), the chapter's Authorization header, Cookie headers like a browser's. libFuzzer
mutates from there; `cargo +nightly fuzz cmin TARGET` keeps the committed corpus small.
"""
import json, os, struct, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VECTORS = os.path.join(ROOT, "crates/flask-cookie/tests/vectors/flask_vectors.json")
SERVER = os.path.join(ROOT, "target/debug/greeting-server")
KEY, FALLBACK = "playground-demo-secret", "an-older-secret"
NOW = 1637258013

def sign(session, key, ts):
    out = subprocess.run([SERVER, "sign", json.dumps(session), "--secret-key", key, "--timestamp", str(ts)],
                         check=True, capture_output=True, text=True).stdout.strip()
    return out.removeprefix("session=").split(";")[0]

def write(target, name, data):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

vectors = json.load(open(VECTORS))
cookies = [v["cookie"] for v in vectors["accepted"]][:40:4]
cookies += [v.get("cookie", "") for v in vectors["rejected"]][:20:4]
ours = [
    sign({"username": "cobra", "visit": 1}, KEY, NOW),
    sign({"username": "cobra", "visit": 41}, KEY, NOW),
    sign({"username": "nagini", "visit": 2, "note": "hiss " * 12}, KEY, NOW),  # compressed
    sign({"username": "cobra", "visit": 3}, FALLBACK, NOW),
    sign({"t": {" t": [1, 2]}, "b": {" b": "aGk="}, "d": {" d": "Thu, 18 Nov 2021 17:53:33 GMT"}}, KEY, NOW),
]
for i, c in enumerate(cookies + ours):
    write("cookie_decode", f"{i:02}", c)
for i, c in enumerate(ours):
    write("cookie_verify", f"{i:02}", struct.pack(">Q", NOW + 60) + c.encode())
for i, h in enumerate(["Basic Y29icmE6aGlzcw==", "basic Y29icmE6bWVvdw", "Bearer abc", "Basic Omhpc3M=",
                       "Basic Y29icmFoaXNz", "Basic /y9icmE6aGlzcw==", "Y29icmE6aGlzcw==", "Basic"]):
    write("basic_auth", f"{i:02}", h)
for i, h in enumerate([f"session={ours[0]}", f"theme=dark; session={ours[1]}; lang=en",
                       f"session=\"{ours[0]}\"; session=second", "a=\"x;y\"; b=\"q\\\"z\\\\\"; c=\"\\101\"",
                       "session=; =x;;"]):
    write("cookie_header", f"{i:02}", h)
for i, (auth, cookie) in enumerate([("Basic Y29icmE6aGlzcw==", f"session={ours[1]}"),
                                    ("Basic bmFnaW5pOmNyYXds", f"session={ours[2]}"),
                                    ("Basic Y29icmE6aGlzcw==", f"theme=dark; session={ours[3]}"),
                                    ("Basic Y29icmE6bWVvdw==", f"session={ours[0]}")]):
    a = auth.encode()
    write("greet", f"{i:02}", struct.pack(">QH", NOW + 5, len(a)) + a + cookie.encode())
