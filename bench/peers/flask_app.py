"""The course's greeting server, as this project understands it, in Flask.

The reference peer for the benchmarks (bench/): the same behaviour as the Rust greeting server's
`GET /greeting`, written the way the chapter's Flask server would be:

* HTTP Basic auth against the course's users (cobra/hiss, nagini/crawl, viper/bite,
  anaconda/slither); wrong or missing credentials -> 401 with the body `{}`.
* A session of the same user: `visit` + 1 and "Welcome back, NAME! This is visit #N.".
  Anything else (no cookie, another user, a cookie that fails verification): a new session,
  `{"username": NAME, "visit": 1}`, and "Welcome, NAME!".
* Flask's pretty-printed JSON (two-space indent, trailing newline), so the chapter's
  Content-Length values (35 and 58) come out the same.

Run by Flask's development server (threaded, as `flask run` does):
    SECRET_KEY=... python flask_app.py --port 5000
or by gunicorn:
    SECRET_KEY=... gunicorn -w 5 -b 127.0.0.1:5000 flask_app:app
"""

import argparse
import os

from flask import Flask, jsonify, request, session

USERS = {"cobra": "hiss", "nagini": "crawl", "viper": "bite", "anaconda": "slither"}

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "playground-demo-secret")
# Flask 2's JSONIFY_PRETTYPRINT_REGULAR, Flask 3's spelling: indent=2 and a trailing newline.
app.json.compact = False


def authenticated_user():
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    if USERS.get(auth.username) != auth.password:
        return None
    return auth.username


@app.route("/greeting")
def greeting():
    name = authenticated_user()
    if name is None:
        return jsonify({}), 401
    if session.get("username") == name and isinstance(session.get("visit"), int):
        session["visit"] += 1
        message = f"Welcome back, {name}! This is visit #{session['visit']}."
    else:
        session["username"] = name
        session["visit"] = 1
        message = f"Welcome, {name}!"
    return jsonify({"message": message})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    # Flask's development server, as `flask run` starts it (threaded, no reloader, no debugger).
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False)
