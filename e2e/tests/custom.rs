//! "Other server": the page on one origin, the greeting requests to a server on another. With
//! `--allow-origin` (CORS with credentials) the session works; without it the page says CORS
//! refused and how to fix it.

use e2e_tests::*;

#[tokio::test]
async fn other_server_with_allow_origin_keeps_the_session() {
    scenario(
        "other_server_with_allow_origin_keeps_the_session",
        async |cx| {
            let page = cx.server(&[])?;
            let origin = page.base.clone();
            let other = cx.server(&["--allow-origin", &origin])?;
            cx.open(&page.url("/"), Some("server")).await?;
            let b = &cx.browser;
            aim_at(b, &other.base).await?;
            b.click("mode-session").await?;
            for (i, expected) in CHAPTER.iter().enumerate() {
                let row = send_once(b).await?;
                ensure!(
                    row.status == Some(200)
                        && row.message == *expected
                        && row.visit == Some(i as u32 + 1),
                    "cross-origin send #{} to {}: {row:?} (wanted {expected:?})",
                    i + 1,
                    other.base
                );
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn other_server_without_cors_is_explained() {
    scenario("other_server_without_cors_is_explained", async |cx| {
        let page = cx.server(&[])?;
        let other = cx.server(&[])?; // no --allow-origin
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &other.base).await?;
        let row = send_once(b).await?;
        let said = format!("{} {}", row.error, row.message);
        ensure!(
            row.status.is_none() || row.status == Some(0),
            "a CORS refusal has no readable status: {row:?}"
        );
        ensure!(
            said.contains("CORS"),
            "the page does not name CORS: {said:?}"
        );
        ensure!(
            said.contains(&format!("--allow-origin {}", page.base)),
            "the page does not say how to allow this origin (--allow-origin {}): {said:?}",
            page.base
        );
        Ok(())
    })
    .await;
}

/// A learner's own Flask app (the course's greeting endpoint) with the README's flask-cors
/// recipe: the page on another origin keeps the session with it.
const FLASK_APP: &str = r#"
import sys
from flask import Flask, jsonify, request, session
from flask_cors import CORS

port, origin = int(sys.argv[1]), sys.argv[2]
app = Flask(__name__)
app.secret_key = "e2e-own-flask"
# The README's recipe, verbatim apart from the origin.
CORS(app, origins=[origin], supports_credentials=True,
     allow_headers=["Authorization", "X-Playground-Exchange"])
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

app.run(host="127.0.0.1", port=port)
"#;

#[tokio::test]
async fn own_flask_app_with_flask_cors() {
    let name = "own_flask_app_with_flask_cors";
    let py = match python_with("flask, flask_cors") {
        Ok(py) => py,
        Err(reason) => return skip_test(name, &reason),
    };
    scenario(name, async |cx| {
        let page = cx.server(&[])?;
        let port = free_port()?;
        let flask = PythonPeer::start(&py, FLASK_APP, &[&port.to_string(), &page.base], port)?;
        cx.keep_log("flask", &flask.log);
        cx.open(&page.url("/"), Some("server")).await?;
        let b = &cx.browser;
        aim_at(b, &format!("http://127.0.0.1:{port}")).await?;
        b.click("mode-session").await?;
        for (i, expected) in CHAPTER.iter().enumerate() {
            let row = send_once(b).await?;
            ensure!(
                row.status == Some(200) && row.message == *expected,
                "own Flask, send #{}: {row:?} (wanted {expected:?})",
                i + 1
            );
        }
        Ok(())
    })
    .await;
}
