"""The Flask greeting app of flask_greeting.py with its session in Redis through Flask-Session.

For the server-side sessions interop test: Flask-Session 0.8's Redis backend (msgspec
MessagePack under `session:` + id, a 43-character id in the cookie) and the Rust
greeting-server's `--sessions server --session-store redis://...`, sharing one Redis, must
continue each other's sessions.

    GREETING_SECRET_KEY=... GREETING_REDIS_URL=redis://127.0.0.1:PORT python3 flask_session_greeting.py

It listens on a free loopback port and prints `flask peer listening on http://127.0.0.1:PORT`.
"""

import os
import sys

import redis
from flask_session import Session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flask_greeting  # noqa: E402  (the app and its routes)

app = flask_greeting.app
app.config.update(
    SESSION_TYPE="redis",
    SESSION_REDIS=redis.Redis.from_url(os.environ["GREETING_REDIS_URL"]),
)
Session(app)

if __name__ == "__main__":
    sys.exit(flask_greeting.main())
