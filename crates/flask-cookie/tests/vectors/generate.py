#!/usr/bin/env python3
"""Generate Flask session cookie test vectors for the flask-cookie crate.

The cookies here are made and checked by the real Flask: its SecureCookieSessionInterface
(save_session / open_session, under a test request context) and the URLSafeTimedSerializer it
builds with get_signing_serializer(app). Only the clock is fixed, by patching
itsdangerous' TimestampSigner.get_timestamp, so that the output is reproducible.

Usage (the Rust tests only read the JSON; Python is needed only to regenerate it):

    python3 -m venv /tmp/flaskvenv && /tmp/flaskvenv/bin/pip install flask
    /tmp/flaskvenv/bin/python crates/flask-cookie/tests/vectors/generate.py \
        > crates/flask-cookie/tests/vectors/flask_vectors.json

Check the recorded vectors against another Flask (e.g. the chapter's 2.0.2) without rewriting them:

    python generate.py --check flask_vectors.json

Under Flask 2.0.2 (Werkzeug 2.0.2, itsdangerous 2.0.1, the chapter's server) every vector but the
SECRET_KEY_FALLBACKS ones (a Flask 3.1 feature, skipped) agreed: 174 checked, 0 differ.
"""

import contextlib
import datetime
import json
import platform
import sys
import uuid
from importlib.metadata import version

from flask import Flask, request
from flask.sessions import SecureCookieSession
from itsdangerous import BadSignature, SignatureExpired
from itsdangerous.timed import TimestampSigner
from markupsafe import Markup
from werkzeug.http import http_date

TS = 1637258013  # 2021-11-18 17:53:33 UTC, the timestamp of the notes' check vectors
DEMO_KEY = "playground-demo-secret"
SECRET_KEYS = [
    DEMO_KEY,
    "dev",
    "s3cr3t-ключ-🔑",  # non-ASCII: itsdangerous encodes str keys as UTF-8
    bytes(range(256))[::7],  # raw bytes, as os.urandom would give
    "k" * 100,  # longer than SHA-1's 64-byte block: HMAC hashes it first
]


@contextlib.contextmanager
def frozen_clock(unix_secs):
    """Make itsdangerous (and so Flask) believe that now is `unix_secs`."""
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: unix_secs
    try:
        yield
    finally:
        TimestampSigner.get_timestamp = original


def make_app(secret_key, fallbacks=()):
    app = Flask("vectors")
    app.secret_key = secret_key
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    return app


def as_bytes(key):
    return key if isinstance(key, bytes) else key.encode("utf-8")


def flask_save(session, secret_key, timestamp):
    """Flask's save_session at `timestamp`: returns (cookie value, Set-Cookie header, JSON text)."""
    app = make_app(secret_key)
    with app.test_request_context("/greeting"), frozen_clock(timestamp):
        sess = SecureCookieSession(session)
        sess.modified = True
        response = app.response_class()
        app.session_interface.save_session(app, sess, response)
        set_cookie = response.headers["Set-Cookie"]
        # The exact JSON text Flask's serializer writes (needs the app context: outside one,
        # flask.json.dumps neither sorts keys nor uses the app's settings).
        json_text = app.session_interface.serializer.dumps(dict(sess))
    assert set_cookie.startswith("session=") and set_cookie.endswith("; HttpOnly; Path=/"), set_cookie
    cookie = set_cookie[len("session="):-len("; HttpOnly; Path=/")]
    return cookie, set_cookie, json_text


def flask_open(cookie, secret_key, fallbacks, now):
    """Flask's open_session at `now`: the session it would hand the view."""
    app = make_app(secret_key, fallbacks)
    with app.test_request_context("/greeting", headers={"Cookie": f"session={cookie}"}):
        with frozen_clock(now):
            return dict(app.session_interface.open_session(app, request))


def flask_exception(cookie, secret_key, fallbacks, now):
    """Why Flask's serializer refuses the cookie (open_session swallows this): class and text."""
    app = make_app(secret_key, fallbacks)
    with app.app_context(), frozen_clock(now):
        s = app.session_interface.get_signing_serializer(app)
        try:
            s.loads(cookie, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except BadSignature as e:  # every itsdangerous refusal derives from it
            return type(e).__name__, str(e)
    return None, None


def describe(obj):
    """The Python value, in the shape flask_cookie::Tagged serializes to: {"kind", "value"}."""
    if obj is None:
        return {"kind": "null"}
    if isinstance(obj, bool):
        return {"kind": "bool", "value": obj}
    if isinstance(obj, (int, float)):
        return {"kind": "number", "value": obj}
    if isinstance(obj, Markup):  # before str: Markup is a str subclass
        return {"kind": "markup", "value": str(obj)}
    if isinstance(obj, str):
        return {"kind": "string", "value": obj}
    if isinstance(obj, tuple):
        return {"kind": "tuple", "value": [describe(x) for x in obj]}
    if isinstance(obj, list):
        return {"kind": "array", "value": [describe(x) for x in obj]}
    if isinstance(obj, dict):  # keys sorted, as Flask writes them (code point order)
        return {"kind": "object", "value": [[k, describe(v)] for k, v in sorted(obj.items())]}
    if isinstance(obj, bytes):
        return {"kind": "bytes", "value": list(obj)}
    if isinstance(obj, uuid.UUID):
        return {"kind": "uuid", "value": obj.hex}
    if isinstance(obj, datetime.datetime):
        return {"kind": "datetime", "value": http_date(obj)}
    raise TypeError(type(obj))


def check(path):
    """Re-run the recorded vectors through the Flask installed here; exit 1 on any difference."""
    with open(path, encoding="utf-8") as f:
        recorded = json.load(f)
    has_fallbacks = "SECRET_KEY_FALLBACKS" in Flask.default_config
    problems, checked = [], 0
    for a in recorded["accepted"]:
        keys = [bytes.fromhex(k) for k in a["keys_hex"]]
        if len(keys) > 1 and not has_fallbacks:
            continue  # SECRET_KEY_FALLBACKS came with Flask 3.1
        opened = flask_open(a["cookie"], keys[0], keys[1:], a["now"])
        cookie, _, json_text = flask_save(opened, keys[a["key_index"]], a["timestamp"])
        checked += 1
        if describe(opened) != a["tagged"] or json_text != a["json"]:
            problems.append(f"{a['name']}: opens as {opened!r}, JSON {json_text}")
        elif not a["compressed"] and cookie != a["cookie"]:
            problems.append(f"{a['name']}: re-signed as {cookie}")
    for r in recorded["rejected"]:
        keys = [bytes.fromhex(k) for k in r["keys_hex"]]
        if len(keys) > 1 and not has_fallbacks:
            continue
        checked += 1
        if flask_open(r["cookie"], keys[0], keys[1:], r["now"]) != {}:
            problems.append(f"{r['name']}: accepted")
    print(f"Flask {version('flask')}: {checked} vectors checked, {len(problems)} differ", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    check(sys.argv[2])

accepted = []


def accept(name, session, secret_key=DEMO_KEY, timestamp=TS, now=None, fallbacks=(), sign_key=None):
    """Sign `session` with Flask, check that Flask opens it again, record a vector."""
    sign_key = secret_key if sign_key is None else sign_key
    now = timestamp if now is None else now
    cookie, set_cookie, json_text = flask_save(session, sign_key, timestamp)
    opened = flask_open(cookie, secret_key, fallbacks, now)
    # Compared as described: a naive datetime comes back as an aware (UTC) one.
    assert describe(opened) == describe(session), (name, opened, session)
    keys = [secret_key, *fallbacks]  # flask_cookie's order: SECRET_KEY first
    accepted.append({
        "name": name,
        "keys_hex": [as_bytes(k).hex() for k in keys],
        "key_index": keys.index(sign_key),
        "timestamp": timestamp,
        "now": now,
        "cookie": cookie,
        "set_cookie": set_cookie,
        "compressed": cookie.startswith("."),
        "json": json_text,
        "value": json.loads(json_text),
        "tagged": describe(opened),
    })
    return cookie


# --- the chapter's session: visit counts for several users, several keys and timestamps
users = ["cobra", "nagini", "viper", "anaconda", "José", "Zoë", "中文", "🐍 snake"]
for u, user in enumerate(users):
    for visit in range(1, 13):
        accept(
            f"visit {visit} of {user}",
            {"username": user, "visit": visit},
            secret_key=SECRET_KEYS[(u + visit) % len(SECRET_KEYS)],
            timestamp=TS + 1000 * u + 37 * visit,
        )

# --- every tag Flask's TaggedJSONSerializer knows, alone and nested
tagged_sessions = {
    "tuple": {"t": (1, "two", 3.0)},
    "empty tuple": {"t": ()},
    "nested tuples": {"t": ((1, 2), [(3,)], {"k": (4,)})},
    "bytes": {"b": b"hiss"},
    "binary bytes": {"b": bytes(range(256))},
    "empty bytes": {"b": b""},
    "markup": {"m": Markup("<b>Welcome</b>, cobra &amp; co")},
    "uuid": {"u": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "uuid4": {"u": uuid.UUID("9f3c8e2a-51c4-4e8b-b7d0-2a6f0c1d9e44")},
    "naive datetime": {"d": datetime.datetime(2021, 11, 18, 17, 53, 33)},
    "aware datetime": {"d": datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)},
    "dict whose key is a tag (di)": {"x": {" t": "not a tuple"}},
    "every tag key as a one-key dict": {k: {k: 1} for k in [" di", " t", " b", " m", " u", " d"]},
    "di nested in di": {"x": {" di": {" t": (1,)}}},
    "tag keys in a bigger dict are plain": {"x": {" t": 1, " b": 2}},
    "flashed messages (list of tuples)": {"_flashes": [("message", "Welcome!"), ("error", "Wrong password")]},
    "everything": {
        "_fresh": True,
        "_id": "a" * 16,
        "when": datetime.datetime(2024, 2, 29, 12, 0, 0),
        "who": uuid.UUID(int=1),
        "raw": b"\x00\xff",
        "html": Markup("<i>x</i>"),
        "pair": ("a", b"b"),
    },
}
for name, session in tagged_sessions.items():
    accept(f"tag: {name}", session)

# --- JSON corners: escaping, numbers, key order
json_sessions = {
    "escapes": {"s": "quote \" backslash \\ slash / newline \n tab \t cr \r bs \b ff \f"},
    "control characters and DEL": {"s": "".join(chr(i) for i in range(32)) + "\x7f\x80\x9f"},
    "non-ASCII": {"s": "é ü ß ñ ø – — … € ™ ∞ 中文 日本語 한국어 עברית العربية", "é": "key too"},
    "astral characters": {"s": "🐍🍪🔑 𝄞 \U0010ffff"},
    "line separators": {"s": "\u2028\u2029\ufeff\ufffd"},
    "key order is code point order": {"b": 1, "B": 2, "a": 3, "_": 4, "é": 5, "中": 6, "🐍": 7, "": 8},
    "integers": {"zero": 0, "neg": -1, "big": 2**53 + 1, "max": 2**63 - 1, "min": -(2**63), "umax": 2**64 - 1},
    "floats": {"f": [0.0, -0.0, 1.0, 1.5, 0.1, -2.5, 100.0, 1e15, 1e16, 1.5e16, 1e-4, 1e-5,
                     123456789012345680.0, 1e22, 1e300, 5e-324, 1.7976931348623157e308,
                     2.2250738585072014e-308, 1 / 3, 2**53 + 2.0]},
    "booleans and null": {"t": True, "f": False, "n": None},
    "nesting": {"a": {"b": {"c": [[], {}, [{}], {"d": [1, [2, [3]]]}]}}},
    "empty string and key": {"": ""},
}
for name, session in json_sessions.items():
    accept(f"json: {name}", session)

# --- payloads big enough that itsdangerous compresses them
accept("compressed: the notes' hiss", {"note": "hiss " * 10, "username": "cobra", "visit": 1})
for n in [3, 5, 8, 20, 60, 200]:
    accept(f"compressed: note of {n} hisses", {"note": "hiss " * n, "username": "nagini", "visit": n})
accept("compressed: non-ASCII repeated", {"note": "中文 🐍 " * 30, "username": "中文", "visit": 7})
accept("compressed: many keys", {f"key{i:03}": i for i in range(60)})
accept("compressed: tagged", {"history": [(i, b"x", Markup("<p>")) for i in range(20)]})
accept("compressed: flashes", {"_flashes": [("message", f"Welcome back, cobra! This is visit #{i}.") for i in range(1, 9)]})
accept("barely not compressed", {"note": "ab" * 4, "visit": 1})

# --- the chapter's session under every key, and odd timestamps
for k, key in enumerate(SECRET_KEYS):
    accept(f"key {k}: cobra visit 1", {"username": "cobra", "visit": 1}, secret_key=key)
# (A timestamp past the year 9999 makes Flask fail with a ValueError, a 500: none here.)
for ts in [1, 255, 256, 65535, 65536, 2**24, 2**31 - 1, 2**32, 4102444800, 2**34 + 12345]:
    accept(f"timestamp {ts}", {"username": "viper", "visit": 3}, timestamp=ts)
accept("timestamp 0 (empty segment)", {"username": "viper", "visit": 0}, timestamp=0, now=100)

# --- ages: exactly max age is still good
MAX_AGE = 31 * 24 * 60 * 60
accept("age exactly the max age", {"username": "cobra", "visit": 4}, now=TS + MAX_AGE)
accept("age one day", {"username": "cobra", "visit": 5}, now=TS + 86400)

# --- SECRET_KEY_FALLBACKS (Flask 3.1): signed with an older key still opens
accept("signed with the first fallback", {"username": "cobra", "visit": 6},
       secret_key="new-key", fallbacks=["old-key", "older-key"], sign_key="old-key")
accept("signed with the second fallback", {"username": "cobra", "visit": 7},
       secret_key="new-key", fallbacks=["old-key", "older-key"], sign_key="older-key")
accept("signed with the current key, fallbacks configured", {"username": "cobra", "visit": 8},
       secret_key="new-key", fallbacks=["old-key"])

# --- cookies Flask refuses (it then starts a new, empty session)
rejected = []


def reject(name, cookie, expect, secret_key=DEMO_KEY, now=TS, fallbacks=()):
    """Record a cookie that Flask turns into an empty session, with the kind flask_cookie must say."""
    assert flask_open(cookie, secret_key, fallbacks, now) == {}, name
    exc, message = flask_exception(cookie, secret_key, fallbacks, now)
    assert exc is not None, name
    allowed = {
        "expired": {"SignatureExpired"},
        "from_the_future": {"SignatureExpired"},
        "bad_signature": {"BadSignature", "BadTimeSignature"},
        # flask_cookie looks at the cookie's shape before the signature; Flask after.
        "malformed": {"BadSignature", "BadTimeSignature", "BadPayload"},
    }[expect]
    assert exc in allowed, (name, exc, message)
    rejected.append({
        "name": name,
        "cookie": cookie,
        "keys_hex": [as_bytes(k).hex() for k in [secret_key, *fallbacks]],
        "now": now,
        "max_age_secs": MAX_AGE,
        "expect": expect,
        "flask_exception": exc,
        "flask_message": message,
    })


def signed_raw(payload_segment, secret_key=DEMO_KEY, timestamp=TS):
    """itsdangerous' signer, as Flask configures it, over an arbitrary payload segment."""
    app = make_app(secret_key)
    with app.app_context(), frozen_clock(timestamp):
        s = app.session_interface.get_signing_serializer(app)
        return s.make_signer(s.salt).sign(payload_segment).decode("ascii")


v1 = flask_save({"username": "cobra", "visit": 1}, DEMO_KEY, TS)[0]
v99 = flask_save({"username": "cobra", "visit": 99}, "attacker-key", TS)[0]
big = flask_save({"note": "hiss " * 40, "username": "cobra", "visit": 1}, DEMO_KEY, TS)[0]
payload, ts_seg, sig = v1.split(".")

reject("expired by one second", v1, "expired", now=TS + MAX_AGE + 1)
reject("expired three days ago", v1, "expired", now=TS + MAX_AGE + 3 * 86400)
reject("expired years ago", flask_save({"visit": 1}, DEMO_KEY, 1)[0], "expired", now=TS)
reject("one second in the future", v1, "from_the_future", now=TS - 1)
reject("a day in the future", v1, "from_the_future", now=TS - 86400)
reject("wrong secret key", v1, "bad_signature", secret_key="not-the-key")
reject("fallback not configured", v1, "bad_signature", secret_key="new-key", fallbacks=["old-key"])
reject("payload of another cookie", v99.split(".")[0] + "." + ts_seg + "." + sig, "bad_signature")
reject("visit edited by hand", v1.replace("OjF9", "OjJ9"), "bad_signature")
reject("timestamp moved", payload + ".YZaTHg." + sig, "bad_signature")
reject("timestamp of another cookie", payload + "." + v99.split(".")[1][:-1] + "A." + sig, "bad_signature")
reject("signature of another cookie", payload + "." + ts_seg + "." + v99.split(".")[2], "bad_signature")
reject("signature first char changed", payload + "." + ts_seg + "." + ("A" if sig[0] != "A" else "B") + sig[1:], "bad_signature")
reject("resigned with another key", flask_save({"username": "cobra", "visit": 1}, "attacker-key", TS)[0], "bad_signature")
# A compressed payload of another cookie: still valid zlib, so the signature is what fails.
big2 = flask_save({"note": "hiss " * 41, "username": "cobra", "visit": 1}, DEMO_KEY, TS)[0]
reject("compressed payload of another cookie", "." + big2.split(".")[1] + big[big.index(".", 1):], "bad_signature")
reject("compressed payload corrupted", big.replace(big.split(".")[1], big.split(".")[1][:-3] + "AAA"), "malformed")
reject("compressed flag removed", big[1:], "malformed")
reject("signature truncated", v1[:-4], "malformed")
reject("signature missing", payload + "." + ts_seg, "malformed")
reject("no dots", "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9", "malformed")
reject("signed timestamp too large", "e30.AQAAAAAAAAAAAA." + sig, "malformed")

# --- where flask_cookie and Flask part ways (documented in the crate). Only a holder of the secret
# key can make most of these: they show what Flask does, not an attack.
divergences = []


def flask_outcome(cookie, secret_key, now):
    try:
        return {"opens": describe(flask_open(cookie, secret_key, (), now))}
    except Exception as e:  # noqa: BLE001 - a Flask view would answer 500 here
        return {"raises": type(e).__name__}


def diverge(name, cookie, expect, why, secret_key=DEMO_KEY, now=TS):
    divergences.append({
        "name": name,
        "cookie": cookie,
        "keys_hex": [as_bytes(secret_key).hex()],
        "now": now,
        "max_age_secs": MAX_AGE,
        "flask": flask_outcome(cookie, secret_key, now),
        "expect": expect,
        "why": why,
    })


# Python's base64 ignores the unused low bits of the last character, so Flask accepts a signature
# whose last character was changed in those bits (27 characters carry 162 bits, 160 are used).
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
twin = alphabet[alphabet.index(sig[-1]) ^ 1]
twin_cookie = payload + "." + ts_seg + "." + sig[:-1] + twin
assert flask_open(twin_cookie, DEMO_KEY, (), TS) == {"username": "cobra", "visit": 1}
diverge("signature's last character changed in its unused bits", twin_cookie, "malformed",
        "flask_cookie reads base64 strictly, so a changed character never verifies")
# A correctly signed payload that is not a session: itsdangerous raises BadPayload, which is not a
# BadSignature, so Flask's open_session does not catch it and the request fails with a 500.
diverge("signed garbage payload", signed_raw("bm90IGpzb24"), "malformed", "Flask raises BadPayload (500)")
diverge("signed non-base64 payload", signed_raw("not*base64"), "malformed", "Flask raises BadPayload (500)")
diverge("signed broken zlib", signed_raw(".eJyrVsrLL0lVslLKyCwu"), "malformed", "Flask raises BadPayload (500)")
diverge("signed JSON array", signed_raw("WzEsMl0"), "malformed", "Flask fails building a session from a list (500)")
diverge("signed timestamp past the year 9999", flask_save({"visit": 1}, DEMO_KEY, 2**40)[0], "from_the_future",
        "Flask fails converting the timestamp to a datetime (500)")

out = {
    "about": "Flask session cookies made and checked by the real Flask; see generate.py beside this file.",
    "versions": {
        "python": platform.python_version(),
        "flask": version("flask"),
        "itsdangerous": version("itsdangerous"),
        "werkzeug": version("werkzeug"),
        "markupsafe": version("markupsafe"),
    },
    "max_age_secs": MAX_AGE,
    "accepted": accepted,
    "rejected": rejected,
    "divergences": divergences,
}
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
print(f"{len(accepted)} accepted, {len(rejected)} rejected, {len(divergences)} divergences", file=sys.stderr)
