//! Through `trunk serve` and Trunk.toml's [[proxy]] (what instructors use with `cargo xtask dev`):
//! the page from trunk, the greeting requests proxied to port 5000, where Trunk.toml sends them.
//! The real Trunk.toml, unchanged: so these tests need port 5000 free.

use e2e_tests::*;
use std::sync::Mutex;
use std::time::Duration;

/// Both tests here need port 5000: one at a time, even when the test harness runs threads.
static PORT_5000: Mutex<()> = Mutex::new(());

/// Port 5000 free and trunk on PATH, or the reason why not.
fn trunk_and_port_5000() -> std::result::Result<(), String> {
    if std::net::TcpListener::bind("127.0.0.1:5000").is_err() {
        return Err("port 5000 is in use (Trunk.toml's [[proxy]] targets it); stop what holds it (`ss -ltnp 'sport = :5000'`)".into());
    }
    let has_trunk =
        std::process::Command::new(std::env::var("TRUNK").unwrap_or_else(|_| "trunk".into()))
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !has_trunk {
        return Err("trunk is not on PATH (`cargo xtask setup` installs it)".into());
    }
    Ok(())
}

fn trunk_serve(cx: &mut Ctx) -> Result<TrunkServe> {
    let dist = workspace_root().join("target").join("e2e-trunk-serve-dist");
    // trunk serve builds the page first (a debug build): allow for that.
    let trunk = TrunkServe::start(&[], &dist, Duration::from_secs(900))?;
    cx.keep_log("trunk-serve", &trunk.log);
    Ok(trunk)
}

#[tokio::test]
async fn chapter_scenario_through_trunk_serve_proxy() {
    let name = "chapter_scenario_through_trunk_serve_proxy";
    let _port = PORT_5000.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(why) = trunk_and_port_5000() {
        return skip_test(name, &why);
    }
    scenario(name, async |cx| {
        let server = Server::start_on(&cx.p, 5000, false, &[])?;
        cx.keep_log("server-5000", &server.log);
        let trunk = trunk_serve(cx)?;
        cx.open(&format!("{}/", trunk.base), Some("server")).await?;
        let b = &cx.browser;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200)
                    && row.message == *expected
                    && row.visit == Some(i as u32 + 1),
                "through the proxy, send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        Ok(())
    })
    .await;
}

/// The course's greeting endpoint as a learner writes it in Flask (no CORS at all).
const FLASK_APP: &str = r#"
import sys
from flask import Flask, jsonify, request, session

app = Flask(__name__)
app.secret_key = "e2e-own-flask"
USERS = {"cobra": "hiss"}

@app.get("/greeting")
def greeting():
    auth = request.authorization
    if auth is None or USERS.get(auth.username) != auth.password:
        return jsonify({}), 401
    if session.get("username") == auth.username:
        session["visit"] += 1
        return jsonify({"message": f"Welcome back, {auth.username}! This is visit #{session['visit']}."})
    session["username"], session["visit"] = auth.username, 1
    return jsonify({"message": f"Welcome, {auth.username}!"})

app.run(host="127.0.0.1", port=int(sys.argv[1]))
"#;

/// A learner's own Flask app on port 5000 behind `trunk serve`'s proxy: aiming the page at its
/// own address sends the requests through the proxy, same origin, no CORS needed.
#[tokio::test]
async fn own_flask_through_trunk_serve_proxy() {
    let name = "own_flask_through_trunk_serve_proxy";
    let py = match python_with("flask") {
        Ok(py) => py,
        Err(reason) => return skip_test(name, &reason),
    };
    let _port = PORT_5000.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(why) = trunk_and_port_5000() {
        return skip_test(name, &why);
    }
    scenario(name, async |cx| {
        let flask = PythonPeer::start(&py, FLASK_APP, &["5000"], 5000)?;
        cx.keep_log("flask", &flask.log);
        let trunk = trunk_serve(cx)?;
        cx.open(&format!("{}/", trunk.base), None).await?;
        let b = &cx.browser;
        // No greeting server behind the proxy (no /playground/api): the page falls back to its
        // simulated server. Aim it at its own address instead: Trunk forwards /greeting to Flask.
        b.fill("target-url", &trunk.base).await?;
        b.click("use-custom").await?;
        b.wait_text("target-kind", "target-kind to be \"custom\"", |t| {
            t == "custom"
        })
        .await?;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == *expected,
                "own Flask through the proxy, send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        ensure!(
            flask.log.contains("GET /greeting"),
            "Flask logged no GET /greeting:\n{}",
            flask.log.text()
        );
        Ok(())
    })
    .await;
}
