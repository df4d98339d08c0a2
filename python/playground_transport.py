"""requests' transport in the page, and the runner of the learner's code.

Python runs in a Web Worker (python/worker.mjs). Every request `requests` sends goes through
`send` below instead of urllib3's sockets: the request is handed to the page, which answers it
from the simulated server or sends it to the greeting server with the browser's own cookie jar
kept out. requests' own `RequestsCookieJar` decides which Cookie header goes out (it is already
in `request.headers` when `send` runs) and keeps the Set-Cookie that comes back, as in a
terminal.

`HTTPAdapter.send` is replaced on the class, not mounted on one Session: a plain
`requests.get` builds a throwaway Session, and its requests must go through the page too.
"""

import json
import sys
import traceback
from http.client import HTTPMessage
from io import BytesIO

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

# Set by the worker: `exchange(request_json)` returns the page's answer as JSON (a Promise).
exchange = None


class _OriginalResponse:
    """What requests' cookie code reads from urllib3's `_original_response`: the headers as
    an `http.client.HTTPMessage` (every Set-Cookie, unjoined)."""

    def __init__(self, msg):
        self.msg = msg

    def isclosed(self):
        return True


def _wait(answer):
    if hasattr(answer, "then"):
        from pyodide.ffi import run_sync

        return run_sync(answer)
    return answer


def _text_body(request):
    """The request's body as the text the page's fetch sends (`data=` and `json=` bodies)."""
    body = request.body
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    elif body is None or isinstance(body, str):
        return body
    raise requests.exceptions.RequestException(
        "the page's Python sends text bodies only (data=, json=), not binary or streamed ones",
        request=request,
    )


def send(adapter, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
    """`HTTPAdapter.send`, through the page."""
    body = _text_body(request)
    if timeout is not None and not isinstance(timeout, (int, float)):
        # (connect, read): the page has one timeout per request.
        timeout = sum(t for t in timeout if t is not None) or None
    asked = {
        "method": request.method,
        "url": request.url,
        "headers": [{"name": k, "value": v} for k, v in request.headers.items()],
        "body": body,
        "timeout_ms": None if timeout is None else int(timeout * 1000),
    }
    answer = json.loads(str(_wait(exchange(json.dumps(asked)))))
    if answer.get("error"):
        raise requests.exceptions.ConnectionError(answer["error"], request=request)
    msg = HTTPMessage()
    headers = HTTPHeaderDict()
    for h in answer["headers"]:
        msg[h["name"]] = h["value"]
        headers.add(h["name"], h["value"])
    raw = HTTPResponse(
        body=BytesIO(answer["body"].encode("utf-8")),
        headers=headers,
        status=answer["status"],
        reason=answer.get("reason") or "",
        preload_content=False,
        decode_content=False,
        original_response=_OriginalResponse(msg),
        request_method=request.method,
        request_url=request.url,
    )
    return adapter.build_response(request, raw)


HTTPAdapter.send = send


def _print_error(exc):
    """A traceback without the runner's own frame, as `python script.py` prints it."""
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb, file=sys.stderr)


def run(source, mode, namespace):
    """Runs the learner's code in `namespace` (one namespace for the whole page, like a
    notebook). `mode` "exec" runs a script; "console" runs a JSON list of statements as
    Python's console does, echoing each after `>>> ` and printing the value of expressions.
    Returns False when the code raised."""
    ok = True
    if mode == "console":
        for statement in json.loads(source):
            print(">>> " + statement.replace("\n", "\n... "))
            try:
                exec(compile(statement, "<console>", "single"), namespace)
            except SystemExit:
                break
            except BaseException as e:  # noqa: BLE001 (a console reports every error and goes on)
                _print_error(e)
                ok = False
    else:
        try:
            exec(compile(source, "<your code>", "exec"), namespace)
        except SystemExit as e:
            ok = e.code in (None, 0)
        except BaseException as e:  # noqa: BLE001
            _print_error(e)
            ok = False
    sys.stdout.flush()
    sys.stderr.flush()
    return ok
