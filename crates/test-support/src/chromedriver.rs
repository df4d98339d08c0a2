//! chromedriver's own commands beside the W3C ones, for fantoccini's `Client::issue_cmd`: a
//! DevTools command, and the browser's logs (the console, DevTools events).

use serde_json::{json, Value as Json};

/// `POST /session/{id}/goog/cdp/execute`: one DevTools command (`Network.setExtraHTTPHeaders`,
/// `Network.emulateNetworkConditions`, ...) with its parameters.
#[derive(Debug)]
pub struct Cdp {
    pub cmd: &'static str,
    pub params: Json,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

/// `POST /session/{id}/se/log` (not in the W3C spec; chromedriver keeps it): the entries of
/// one log since the last call: [`GetLog::BROWSER`] (the console) or [`GetLog::PERFORMANCE`]
/// (DevTools events such as `Network.responseReceivedExtraInfo`, when the session was started
/// with `goog:loggingPrefs` asking for it).
#[derive(Debug)]
pub struct GetLog(&'static str);

impl GetLog {
    pub const BROWSER: GetLog = GetLog("browser");
    pub const PERFORMANCE: GetLog = GetLog("performance");
}

impl fantoccini::wd::WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fantoccini::wd::WebDriverCompatibleCommand;

    #[test]
    fn the_commands_go_to_chromedrivers_endpoints() {
        let base = url::Url::parse("http://127.0.0.1:9515/").unwrap();
        let cdp = Cdp {
            cmd: "Network.enable",
            params: json!({}),
        };
        assert_eq!(
            cdp.endpoint(&base, Some("abc")).unwrap().as_str(),
            "http://127.0.0.1:9515/session/abc/goog/cdp/execute"
        );
        let (method, body) = cdp.method_and_body(&base);
        assert_eq!(method, http::Method::POST);
        assert_eq!(
            serde_json::from_str::<Json>(&body.unwrap()).unwrap(),
            json!({"cmd": "Network.enable", "params": {}})
        );
        assert_eq!(
            GetLog::BROWSER
                .endpoint(&base, Some("abc"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9515/session/abc/se/log"
        );
        let (_, body) = GetLog::PERFORMANCE.method_and_body(&base);
        assert_eq!(body.as_deref(), Some(r#"{"type":"performance"}"#));
    }
}
