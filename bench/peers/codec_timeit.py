"""The Python side of the codec benchmark: Flask's own session serializer (itsdangerous'
URLSafeTimedSerializer with Flask's tagged JSON, key derivation "hmac", salt "cookie-session")
doing what crates/flask-cookie/benches/codec.rs does, per operation, on the same session.

    python codec_timeit.py [--repeat 5] [--min-time 0.2]

Prints one JSON object: versions and, for sign, verify and decode, the median over the repeats of
the time per operation in nanoseconds (each repeat runs a number of loops chosen by timeit's
autorange, at least --min-time seconds).
"""

import argparse
import base64
import json
import platform
import statistics
import sys
import timeit
import zlib
from importlib.metadata import version

from flask import Flask
from flask.sessions import SecureCookieSessionInterface, session_json_serializer

SECRET_KEY = "benchmark-secret-key"
# The same session and timestamp as the Rust bench (crates/flask-cookie/benches/codec.rs).
SESSION = {"username": "cobra", "visit": 42}


def make_serializer():
    app = Flask(__name__)
    app.secret_key = SECRET_KEY
    return SecureCookieSessionInterface().get_signing_serializer(app)


def decode_without_key(cookie: str):
    """What flask-unsign --decode does: split from the right, base64, zlib when compressed,
    Flask's tagged JSON; no key, no signature check (itsdangerous has no public call for it)."""
    payload, _timestamp, _signature = cookie.rsplit(".", 2)
    compressed = payload.startswith(".")
    if compressed:
        payload = payload[1:]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        data = zlib.decompress(data)
    return session_json_serializer.loads(data.decode("utf-8"))


def per_op_ns(stmt, repeat, min_time):
    timer = timeit.Timer(stmt)
    # autorange: the smallest 1, 2, 5, 10, ... loops that take at least 0.2 s.
    loops, _ = timer.autorange()
    while True:
        elapsed = timer.timeit(loops)
        if elapsed >= min_time:
            break
        loops *= 2
    runs = [elapsed] + timer.repeat(repeat=repeat - 1, number=loops)
    per_op = [t / loops * 1e9 for t in runs]
    return {"median_ns": statistics.median(per_op), "min_ns": min(per_op), "loops": loops, "runs": len(per_op)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2)
    args = parser.parse_args()

    s = make_serializer()
    cookie = s.dumps(SESSION)
    assert s.loads(cookie, max_age=31 * 24 * 3600) == SESSION
    assert decode_without_key(cookie) == SESSION

    results = {
        "sign": per_op_ns(lambda: s.dumps(SESSION), args.repeat, args.min_time),
        "verify": per_op_ns(lambda: s.loads(cookie, max_age=31 * 24 * 3600), args.repeat, args.min_time),
        "decode": per_op_ns(lambda: decode_without_key(cookie), args.repeat, args.min_time),
    }
    print(json.dumps({
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "flask": version("flask"),
        "itsdangerous": version("itsdangerous"),
        "cookie": cookie,
        "results": results,
    }))


if __name__ == "__main__":
    sys.exit(main())
