//! Through `trunk serve` and Trunk.toml's [[proxy]] (what instructors use with `cargo xtask dev`):
//! the page from trunk, the greeting requests proxied to the server behind it. The proxies are
//! the real Trunk.toml's, aimed at the ephemeral port of the server each test starts, and trunk
//! itself listens on an ephemeral port: these tests pass while `cargo xtask run` or `dev` holds
//! ports 5000 and 8080.

use e2e_tests::*;
use std::time::Duration;

/// trunk on PATH, or the reason why not.
fn trunk_on_path() -> std::result::Result<(), String> {
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

/// `trunk serve` proxying to `backend_port`; its log joins the failure report.
fn trunk_serve(cx: &mut Ctx, backend_port: u16) -> Result<TrunkServe> {
    let dist = workspace_root().join("target").join("e2e-trunk-serve-dist");
    // trunk serve builds the page first (a debug build): allow for that.
    let trunk = TrunkServe::start(backend_port, &dist, Duration::from_secs(900))?;
    cx.keep_log("trunk-serve", &trunk.log);
    Ok(trunk)
}

#[tokio::test]
async fn chapter_scenario_through_trunk_serve_proxy() {
    let name = "chapter_scenario_through_trunk_serve_proxy";
    if let Err(why) = trunk_on_path() {
        return skip_test(name, &why);
    }
    scenario(name, async |cx| {
        let server = Server::start_without_page(&cx.p, &[])?;
        cx.keep_log("server", &server.log);
        let trunk = trunk_serve(cx, server.port)?;
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

/// A learner's own Flask app behind `trunk serve`'s proxy: aiming the page at its
/// own address sends the requests through the proxy, same origin, no CORS needed.
#[tokio::test]
async fn own_flask_through_trunk_serve_proxy() {
    let name = "own_flask_through_trunk_serve_proxy";
    let py = match python_with("flask") {
        Ok(py) => py,
        Err(reason) => return skip_test(name, &reason),
    };
    if let Err(why) = trunk_on_path() {
        return skip_test(name, &why);
    }
    scenario(name, async |cx| {
        let port = free_port()?;
        let flask = PythonPeer::start(&py, FLASK_APP, &[&port.to_string()], port)?;
        cx.keep_log("flask", &flask.log);
        let trunk = trunk_serve(cx, port)?;
        cx.open(&format!("{}/", trunk.base), None).await?;
        let b = &cx.browser;
        // No greeting server behind the proxy (no /playground/api): the page falls back to its
        // simulated server. Aim it at its own address instead: Trunk forwards /greeting to Flask.
        aim_at(b, &trunk.base).await?;
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
