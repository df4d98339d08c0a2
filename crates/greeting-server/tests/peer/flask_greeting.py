"""A Flask greeting server that behaves as the Sessions chapter shows the course's server behaving.

Written for this project's interop tests (the course's own code is not public): GET /greeting
with HTTP Basic auth counts visits in Flask's signed session cookie; GET /user answers the
user's record. The Rust greeting-server and this app, given the same secret key, must continue
each other's sessions.

    GREETING_SECRET_KEY=... python3 flask_greeting.py

It listens on a free loopback port and prints `flask peer listening on http://127.0.0.1:PORT`.
"""

import hmac
import os
import sys

from flask import Flask, jsonify, request, session
from werkzeug.serving import make_server

USERS = {"cobra": "hiss", "nagini": "crawl", "viper": "bite", "anaconda": "slither"}
RECORDS = {
    "cobra": {"email": "jar.fowler@example.com", "id": 1, "name": "Jar Fowler", "user": "cobra"},
}

app = Flask("flask_greeting")
app.secret_key = os.environ["GREETING_SECRET_KEY"]
# Pretty-printed JSON, as the chapter's Content-Length values (35, 58) show.
if hasattr(app, "json") and hasattr(app.json, "compact"):
    app.json.compact = False  # Flask >= 2.2
else:
    app.config["JSONIFY_PRETTYPRINT_REGULAR"] = True  # older Flask


def current_user():
    """The user whose Basic credentials the request carries, or None."""
    auth = request.authorization
    if auth is None or auth.username is None:
        return None
    expected = USERS.get(auth.username)
    if expected is None or not hmac.compare_digest(expected, auth.password or ""):
        return None
    return auth.username


@app.get("/greeting")
def greeting():
    user = current_user()
    if user is None:
        return jsonify({}), 401
    visit = session.get("visit")
    if session.get("username") == user and isinstance(visit, int) and not isinstance(visit, bool):
        session["visit"] = visit + 1
        return jsonify(message=f"Welcome back, {user}! This is visit #{visit + 1}.")
    session["username"] = user
    session["visit"] = 1
    return jsonify(message=f"Welcome, {user}!")


@app.get("/user")
def user_record():
    user = current_user()
    if user is None:
        return jsonify({}), 401
    return jsonify(RECORDS.get(user, {"email": f"{user}@example.com", "id": 0, "name": user, "user": user}))


def main():
    server = make_server("127.0.0.1", 0, app)
    print(f"flask peer listening on http://127.0.0.1:{server.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
