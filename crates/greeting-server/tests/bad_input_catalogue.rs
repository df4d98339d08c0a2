//! The bad input catalogue (docs/bad-input.md) as one table, checked row by row against the real
//! server binary over raw TCP (so that bytes no HTTP client library would send can be sent).
//!
//! Every row: the documented answer, never a 5xx, and afterwards the server still serves, has
//! not panicked, and has logged no password, key, credential header or session cookie.
//! The row ids are the ones in docs/bad-input.md; keep the two in step.

mod common;

use base64::Engine;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const PASSWORD: &str = "s3cret-pw-Zq7";
const WRONG: &str = "wrong-pw-M4x";
const COLON_PASSWORD: &str = "bite:with:colons";
const KEY_TEXT: &str = "catalogue-key-Xy9";
const MAX_AGE: u64 = flask_cookie::DEFAULT_MAX_AGE_SECS;

/// What a row must get back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// 200, `Welcome...` for cobra at this visit (1 = started over), a new cookie for that visit.
    Visit(u64),
    /// 401, body `{}`, no `Set-Cookie`.
    Unauthorized,
    /// This status with the server's JSON error body (`error` and `message`).
    JsonError(u16),
    /// Exactly this status (answers hyper gives before the app sees the request, or 204s).
    Status(u16),
    /// The connection is closed without an answer (not HTTP/1 at all).
    Closed,
}

struct Row {
    id: &'static str,
    request: Vec<u8>,
    expect: Expect,
}

fn b64(s: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// `METHOD PATH HTTP/1.1` with `Host` and `Connection: close`, then `headers` (raw bytes).
fn request(method: &str, path: &str, headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .into_bytes();
    for h in headers {
        r.extend_from_slice(h);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

/// `GET /greeting` with this `Host` line (raw bytes) instead of `Host: 127.0.0.1`.
fn host_line(host: &[u8], headers: &[&[u8]]) -> Vec<u8> {
    let mut r = b"GET /greeting HTTP/1.1\r\n".to_vec();
    r.extend_from_slice(host);
    r.extend_from_slice(b"\r\nConnection: close\r\n");
    for h in headers {
        r.extend_from_slice(h);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r
}

fn get(path: &str, headers: &[&[u8]]) -> Vec<u8> {
    request("GET", path, headers, b"")
}

fn auth(user: &str, password: &str) -> String {
    format!("Authorization: Basic {}", b64(format!("{user}:{password}")))
}

/// `GET /greeting` as cobra with one `Cookie` header.
fn greeting_with_cookie(cookie_header: &[u8]) -> Vec<u8> {
    let mut cookie = b"Cookie: ".to_vec();
    cookie.extend_from_slice(cookie_header);
    get("/greeting", &[auth("cobra", PASSWORD).as_bytes(), &cookie])
}

fn sign(session: Value, key: &str, timestamp: u64) -> String {
    flask_cookie::sign(&session, key.as_bytes(), timestamp).unwrap()
}

/// The table. `good` is a valid session of cobra at visit 41, signed now with the server's key.
fn catalogue(now: u64, good: &str) -> Vec<Row> {
    use Expect::*;
    let cobra = auth("cobra", PASSWORD);
    let json: &[u8] = b"Content-Type: application/json";
    let row = |id, request, expect| Row {
        id,
        request,
        expect,
    };
    let a = |value: &[u8]| {
        let mut h = b"Authorization: ".to_vec();
        h.extend_from_slice(value);
        get("/greeting", &[&h])
    };
    // `Cookie: session=VALUE`, and a whole `Cookie` header.
    let c = |value: &str| greeting_with_cookie(format!("session={value}").as_bytes());
    let ch = |header: &str| greeting_with_cookie(header.as_bytes());
    let (payload, rest) = good.split_once('.').unwrap();
    let cobra41 = json!({"username": "cobra", "visit": 41});
    // A validly signed session too big for a browser (random text does not compress).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: String = (0..6000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect();
    let oversized = sign(
        json!({"username": "cobra", "visit": 41, "note": noise}),
        KEY_TEXT,
        now,
    );
    assert!(oversized.len() > greeting_core::MAX_SESSION_COOKIE_LEN);
    // A validly signed zlib bomb: 2 MB of JSON in a ~2 KB cookie.
    let bomb = sign(
        json!({"username": "cobra", "visit": 41, "pad": " ".repeat(2_000_000)}),
        KEY_TEXT,
        now,
    );
    assert!(bomb.starts_with('.') && bomb.len() < greeting_core::MAX_SESSION_COOKIE_LEN);
    let huge = "A".repeat(20_000);

    vec![
        // --- Basic auth (A) ---
        row("A01", get("/greeting", &[]), Unauthorized),
        row("A02", a(b""), Unauthorized),
        row("A03", a(b64(format!("cobra:{PASSWORD}")).as_bytes()), Unauthorized),
        row("A04", a(format!("Bearer {}", b64(format!("cobra:{PASSWORD}"))).as_bytes()), Unauthorized),
        row("A05", a(b"Basic"), Unauthorized),
        row("A06", a(b"Basic %%%%"), Unauthorized),
        row("A07", a(b"Basic Y29i cmE6"), Unauthorized),
        row("A08", a(format!("Basic {}", b64(format!("cobra{PASSWORD}"))).as_bytes()), Unauthorized),
        row("A09", a(format!("Basic {}", b64(b"cobra:\xffpw")).as_bytes()), Unauthorized),
        row("A10", a(b"Basic \xff\xfe\xfd"), Unauthorized),
        row("A11", a(format!("Basic {}", b64(format!(":{PASSWORD}"))).as_bytes()), Unauthorized),
        row("A12", a(format!("Basic {}", b64("cobra:")).as_bytes()), Unauthorized),
        row("A13", get("/greeting", &[auth("cobra", WRONG).as_bytes()]), Unauthorized),
        row("A14", get("/greeting", &[auth("nobody", PASSWORD).as_bytes()]), Unauthorized),
        row("A15", a(format!("Basic {}", "QUFB".repeat(1100)).as_bytes()), Unauthorized),
        row("A16", a(format!("Basic {huge}").as_bytes()), Status(431)),
        row(
            "A17",
            get("/greeting", &[auth("cobra", WRONG).as_bytes(), cobra.as_bytes()]),
            Unauthorized,
        ),
        row(
            "A18",
            get("/greeting", &[cobra.as_bytes(), auth("cobra", WRONG).as_bytes()]),
            Unauthorized,
        ),
        row(
            "A19",
            a(format!("basic {}", b64(format!("cobra:{PASSWORD}")).trim_end_matches('=')).as_bytes()),
            Visit(1),
        ),
        row("A20", get("/greeting", &[auth("viper", COLON_PASSWORD).as_bytes()]), Status(200)),
        row(
            "A21",
            a(format!("Basic {}", b64(b"zo\xeb:pw")).as_bytes()),
            Unauthorized,
        ),
        row("A22", get("/user", &[auth("cobra", WRONG).as_bytes()]), Unauthorized),
        // --- Cookies (C), all with cobra's right credentials ---
        row("C01", c(good), Visit(42)),
        row("C02", c(&good[..good.len() - 5]), Visit(1)),
        row("C03", c(&format!("{payload}.")), Visit(1)),
        row("C04", c(payload), Visit(1)),
        row("C05", c(&format!("{payload}..{rest}")), Visit(1)),
        row("C06", c(&format!(".{good}")), Visit(1)),
        row("C07", c(&format!("{good}.")), Visit(1)),
        row("C08", c(&good.replacen('e', "!", 1)), Visit(1)),
        row("C09", c(&format!("{}+/{}", &payload[..4], &good[6..])), Visit(1)),
        row("C10", c(&sign(cobra41.clone(), "some-other-key", now)), Visit(1)),
        row("C11", c(&sign(cobra41.clone(), KEY_TEXT, now - MAX_AGE - 60)), Visit(1)),
        row("C12", c(&sign(cobra41.clone(), KEY_TEXT, now + 3600)), Visit(1)),
        row("C13", c(&oversized), Visit(1)),
        row("C14", ch(&format!("session={}", "x".repeat(5000))), Visit(1)),
        row("C15", c(&bomb), Visit(1)),
        row("C16", ch(&format!("session={good}; session=garbage")), Visit(42)),
        row("C17", ch(&format!("session=garbage; session={good}")), Visit(1)),
        row(
            "C18",
            get(
                "/greeting",
                &[cobra.as_bytes(), b"Cookie: theme=dark", format!("Cookie: session={good}").as_bytes()],
            ),
            Visit(42),
        ),
        row("C19", ch("session="), Visit(1)),
        row("C20", ch(&format!("session=\"{good}\"")), Visit(42)),
        row("C21", ch(&format!("Session={good}")), Visit(1)),
        row("C22", greeting_with_cookie(b"session=\xff\xfe.\x80.\x81"), Visit(1)),
        row("C23", ch(&format!("session={good}; pad={}", "p".repeat(9000))), Visit(1)),
        row("C24", ch(&format!("session={}", &huge)), Status(431)),
        row("C25", ch(&format!("session={}", sign(json!({"username": "viper", "visit": 9}), KEY_TEXT, now))), Visit(1)),
        row("C26", ch(&format!("session={}", sign(json!({"username": "cobra", "visit": "41"}), KEY_TEXT, now))), Visit(1)),
        row("C27", ch(&format!("session={}", sign(json!({"username": "cobra", "visit": -5}), KEY_TEXT, now))), Visit(1)),
        row("C28", ch(&format!("session={}", sign(json!({"username": "cobra", "visit": u64::MAX}), KEY_TEXT, now))), Visit(1)),
        row("C29", ch(&format!("session={}", sign(json!({"username": "cobra"}), KEY_TEXT, now))), Visit(1)),
        row("C30", ch("session=\"unterminated"), Visit(1)),
        // --- Oversized and malformed requests (H) ---
        row("H01", get("/greeting", &[format!("X-Pad: {huge}").as_bytes()]), Status(431)),
        row(
            "H02",
            get(
                "/greeting",
                &(0..100).map(|i| format!("X-H{i}: v")).collect::<Vec<_>>().iter().map(|s| s.as_bytes()).collect::<Vec<_>>(),
            ),
            Status(431),
        ),
        row("H03", get("/greeting", &[b"No colon here"]), Status(400)),
        row("H04", get("/greeting", &[b"Bad Name: v"]), Status(400)),
        row("H05", get("/greeting", &[b"X-Nul: a\x00b"]), Status(400)),
        row("H06", get("/greeting", &[b"X-Folded: a", b" continued"]), Status(400)),
        row("H07", b"garbage\r\n\r\n".to_vec(), Status(400)),
        row("H08", b"GET /greeting HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n".to_vec(), Unauthorized),
        row("H09", b"GET /greeting HTTP/1.0\r\n\r\n".to_vec(), Unauthorized),
        row("H10", b"GET /greeting HTTP/9.9\r\nConnection: close\r\n\r\n".to_vec(), Status(400)),
        row("H11", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), Closed),
        // No `Connection: close` here: the server must close by itself after such a request.
        row(
            "H12",
            b"POST /playground/api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            Status(204),
        ),
        row(
            "H13",
            request("POST", "/playground/api/reset", &[b"Content-Length: 3", b"Content-Length: 4"], b"abcd"),
            Status(400),
        ),
        row(
            "H16",
            request("POST", "/playground/api/reset", &[b"Transfer-Encoding: gzip"], b""),
            Status(400),
        ),
        row("H14", b"GET /greeting HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(), JsonError(421)),
        row("H15", get("/greeting", &[b"X-Playground-Exchange: \xff\xfe", format!("User-Agent: {}", "u".repeat(8000)).as_bytes()]), Unauthorized),
        // --- Other methods (M) ---
        row("M01", request("POST", "/greeting", &[cobra.as_bytes()], b""), JsonError(405)),
        row("M02", request("PUT", "/greeting", &[b"Content-Length: 2"], b"{}"), JsonError(405)),
        row("M03", request("DELETE", "/user", &[], b""), JsonError(405)),
        row("M04", request("PATCH", "/greeting", &[], b""), JsonError(405)),
        row("M05", request("TRACE", "/greeting", &[], b""), JsonError(405)),
        row("M06", request("BREW", "/greeting", &[], b""), JsonError(405)),
        row("M07", request("GET", "/playground/api/reset", &[], b""), JsonError(405)),
        row("M08", request("POST", "/playground/api/events", &[], b""), JsonError(405)),
        row("M09", request("OPTIONS", "/greeting", &[], b""), Status(204)),
        row("M10", request("HEAD", "/greeting", &[cobra.as_bytes()], b""), Status(200)),
        row("M11", request("CONNECT", "127.0.0.1:80", &[], b""), JsonError(404)),
        row("M12", request("G\x01T", "/greeting", &[], b""), Status(400)),
        // --- Unknown paths (P) ---
        row("P01", get("/nope", &[]), JsonError(404)),
        row("P02", get("/greeting/", &[cobra.as_bytes()]), JsonError(404)),
        row("P03", get("/GREETING", &[cobra.as_bytes()]), JsonError(404)),
        row("P04", get("/%FF%00", &[]), JsonError(404)),
        row("P05", get("/../../etc/passwd", &[]), JsonError(404)),
        row("P06", get(&format!("/{}", "p".repeat(10_000)), &[]), JsonError(404)),
        row("P07", get("/playground/api/nope", &[]), JsonError(404)),
        row("P08", get("/greeting?user=cobra&password=x", &[cobra.as_bytes()]), Visit(1)),
        row("P09", get("http://127.0.0.1/greeting", &[cobra.as_bytes()]), Visit(1)),
        row("P10", request("OPTIONS", "*", &[], b""), JsonError(404)),
        row("P11", get("greeting", &[]), JsonError(404)),
        // --- Playground API bodies (B) ---
        row("B01", request("POST", "/playground/api/plant", &[b"Content-Type: text/plain", b"Content-Length: 2"], b"{}"), JsonError(415)),
        row("B02", request("POST", "/playground/api/plant", &[b"Content-Type: application/json", b"Content-Length: 5"], b"{\"coo"), JsonError(400)),
        row("B03", request("POST", "/playground/api/plant", &[b"Content-Type: application/json", b"Content-Length: 20000"], b""), JsonError(413)),
        row(
            "B04",
            {
                let mut body = Vec::new();
                for _ in 0..5 {
                    body.extend_from_slice(format!("1000\r\n{}\r\n", "a".repeat(4096)).as_bytes());
                }
                body.extend_from_slice(b"0\r\n\r\n");
                request("POST", "/playground/api/plant", &[b"Content-Type: application/json", b"Transfer-Encoding: chunked"], &body)
            },
            JsonError(413),
        ),
        row("B05", request("POST", "/playground/api/plant", &[b"Content-Type: application/json", b"Content-Length: 21"], b"{\"cookie\": \"garbage\"}"), JsonError(400)),
        row("B06", request("POST", "/playground/api/plant", &[b"Content-Type: application/json", b"Content-Length: 4"], b"\xff\xfe{}"), JsonError(400)),
        row("B07", request("POST", "/playground/api/reset", &[b"Cookie: session=\xff", b"Content-Length: 0"], b""), Status(204)),
        // Hostile Host and Origin values (X): DNS rebinding and what a browser or a forger sends.
        row("X01", host_line(b"Host: evil.example:5000", &[cobra.as_bytes()]), JsonError(421)),
        row("X02", host_line(b"Host: ", &[cobra.as_bytes()]), JsonError(421)),
        row("X03", host_line(format!("Host: {}.example", "a".repeat(5000)).as_bytes(), &[cobra.as_bytes()]), JsonError(421)),
        row("X04", host_line("Host: b\u{fc}cher.example".as_bytes(), &[cobra.as_bytes()]), JsonError(421)),
        row("X05", host_line(format!("Host: cobra:{PASSWORD}@127.0.0.1").as_bytes(), &[cobra.as_bytes()]), JsonError(421)),
        row("X06", host_line(b"Host: ::1", &[cobra.as_bytes()]), JsonError(421)),
        row("X07", host_line(b"Host: [::1]:5000", &[cobra.as_bytes()]), Visit(1)),
        row("X08", host_line(b"Host: [fe80::1%25lo]", &[cobra.as_bytes()]), JsonError(421)),
        row("X09", host_line(b"Host: [::ffff:127.0.0.1]", &[cobra.as_bytes()]), Visit(1)),
        row("X10", host_line(b"Host: localhost:65536", &[cobra.as_bytes()]), JsonError(421)),
        row("X11", host_line(b"Host: 127.0.0.1\r\nHost: evil.example", &[cobra.as_bytes()]), JsonError(421)),
        row("X12", get("http://evil.example/greeting", &[cobra.as_bytes()]), JsonError(421)),
        row("X13", host_line(b"Host: LOCALHOST.", &[cobra.as_bytes()]), Visit(1)),
        row("X14", get("/playground/api/info", &[b"Origin: http://evil.example"]), JsonError(403)),
        row("X15", request("POST", "/playground/api/reset", &[b"Origin: null", b"Content-Length: 0"], b""), JsonError(403)),
        row("X16", get("/playground/api/events", &[b"Origin: "]), JsonError(403)),
        row("X17", get("/playground/api/info", &[format!("Origin: http://{}.example", "a".repeat(5000)).as_bytes()]), JsonError(403)),
        row("X18", get("/playground/api/info", &["Origin: http://b\u{fc}cher.example".as_bytes()]), JsonError(403)),
        row("X19", get("/playground/api/info", &[format!("Origin: http://cobra:{PASSWORD}@127.0.0.1").as_bytes()]), JsonError(403)),
        row("X20", get("/playground/api/info", &[b"Origin: http://[::1"]), JsonError(403)),
        row("X21", get("/greeting", &[cobra.as_bytes(), b"Origin: http://evil.example"]), Visit(1)),
        row("X22", get("/playground/api/events?instructor=guess", &[]), JsonError(403)),
        row("X23", request("POST", "/playground/api/cookie-attributes", &[json, b"Content-Length: 26"], br#"{"same_site": "sometimes"}"#), JsonError(400)),
        row("X24", request("POST", "/playground/api/cookie-attributes", &[json, b"Content-Length: 8"], b"not json"), JsonError(400)),
        row("X25", request("POST", "/playground/api/cookie-attributes", &[b"Content-Length: 2"], b"{}"), JsonError(415)),
        row("X26", request("POST", "/playground/api/cookie-padding", &[json, b"Content-Length: 15"], br#"{"bytes": 9000}"#), JsonError(400)),
        row("X27", get("/logout", &[]), Status(405)),
    ]
}

fn check(row: &Row, reply: &RawReply) -> Result<(), String> {
    let status = reply.status;
    if let Some(s) = status {
        if s >= 500 {
            return Err(format!("a 5xx: {s}"));
        }
    }
    if !reply.closed {
        return Err("the server kept the connection open".into());
    }
    let json_error = |code: u16| -> Result<(), String> {
        if status != Some(code) {
            return Err(format!("status {status:?}, expected {code}"));
        }
        if reply.header("Content-Type") != Some("application/json") {
            return Err("no JSON content type".into());
        }
        let v: Value =
            serde_json::from_slice(&reply.body).map_err(|e| format!("body not JSON: {e}"))?;
        if !(v["error"].is_string() && v["message"].as_str().is_some_and(|m| m.len() > 10)) {
            return Err(format!("body {v}"));
        }
        Ok(())
    };
    match row.expect {
        Expect::Visit(visit) => {
            if status != Some(200) {
                return Err(format!("status {status:?}, expected 200"));
            }
            let message = if visit == 1 {
                "Welcome, cobra!".to_string()
            } else {
                format!("Welcome back, cobra! This is visit #{visit}.")
            };
            let body: Value = serde_json::from_slice(&reply.body).map_err(|e| e.to_string())?;
            if body["message"] != message.as_str() {
                return Err(format!("body {body}, expected {message:?}"));
            }
            let set_cookie = reply.header("Set-Cookie").ok_or("no Set-Cookie")?;
            let value = set_cookie
                .strip_prefix("session=")
                .and_then(|v| v.strip_suffix("; HttpOnly; Path=/"))
                .ok_or(format!("Set-Cookie {set_cookie}"))?;
            let decoded = flask_cookie::verify(value, &[KEY_TEXT.as_bytes()], unix_now(), MAX_AGE)
                .map_err(|e| e.to_string())?;
            if decoded.decoded.value["visit"] != visit
                || decoded.decoded.value["username"] != "cobra"
            {
                return Err(format!("new session {}", decoded.decoded.json));
            }
            Ok(())
        }
        Expect::Unauthorized => {
            if status != Some(401) {
                return Err(format!("status {status:?}, expected 401"));
            }
            if reply.body != b"{}\n"
                || reply.header("Set-Cookie").is_some()
                || reply.header("WWW-Authenticate").is_some()
            {
                return Err("not the course's bare 401".into());
            }
            Ok(())
        }
        Expect::JsonError(code) => json_error(code),
        Expect::Status(code) => {
            if status == Some(code) {
                Ok(())
            } else {
                Err(format!("status {status:?}, expected {code}"))
            }
        }
        Expect::Closed => {
            if status.is_none() && reply.closed {
                Ok(())
            } else {
                Err(format!("expected a closed connection, got {status:?}"))
            }
        }
    }
}

#[tokio::test]
async fn every_row_of_the_bad_input_catalogue_gets_its_documented_answer() {
    let cobra_spec = format!("cobra:{PASSWORD}");
    let viper_spec = format!("viper:{COLON_PASSWORD}");
    let server = Server::start(&[
        "--secret-key",
        KEY_TEXT,
        "--user",
        &cobra_spec,
        "--user",
        &viper_spec,
    ]);
    let now = unix_now();
    let good = sign(json!({"username": "cobra", "visit": 41}), KEY_TEXT, now);
    let rows = catalogue(now, &good);

    // Row ids are unique and every one is in the document.
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/bad-input.md"
    ))
    .expect("docs/bad-input.md");
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "duplicate row ids");
    let undocumented: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !doc.contains(&format!("| {id} |")))
        .collect();
    let mut failures = Vec::new();
    if !undocumented.is_empty() {
        failures.push(format!(
            "rows missing from docs/bad-input.md: {undocumented:?}"
        ));
    }
    let mut secrets_sent = vec![good.clone()];
    for row in &rows {
        let reply = raw_exchange(&server.addr, &row.request, Duration::from_secs(10)).await;
        if let Err(why) = check(row, &reply) {
            failures.push(format!(
                "{} ({:?}): {why}\n    sent: {:.160}\n    got: {:.300}",
                row.id,
                row.expect,
                String::from_utf8_lossy(&row.request)
                    .escape_debug()
                    .to_string(),
                reply.head.escape_debug().to_string()
            ));
        }
        if let Some(v) = reply
            .header("Set-Cookie")
            .and_then(|v| v.strip_prefix("session="))
        {
            secrets_sent.push(v.split(';').next().unwrap_or("").to_string());
        }
    }

    // Still serving, and the server's own log tells nothing it shouldn't.
    let after = raw_exchange(
        &server.addr,
        &greeting_with_cookie(format!("session={good}").as_bytes()),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        after.status,
        Some(200),
        "the server stopped serving: {after:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = server.stderr();
    let mut forbidden: Vec<String> = vec![
        PASSWORD.into(),
        WRONG.into(),
        COLON_PASSWORD.into(),
        KEY_TEXT.into(),
        b64(format!("cobra:{PASSWORD}")),
        b64(format!("cobra:{WRONG}")),
        "panicked".into(),
    ];
    forbidden.extend(secrets_sent.into_iter().filter(|s| s.len() > 20));
    for needle in &forbidden {
        if log.contains(needle.as_str()) {
            failures.push(format!("the log holds {needle:.60}:\n{log:.2000}"));
        }
    }
    assert!(
        log.contains("exchange"),
        "the exchanges are logged: {log:.500}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
