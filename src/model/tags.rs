//! The small tags of a timeline row: how the request was sent (no session, simulated, with a
//! planted cookie) and what the server did with its cookie (refused it, started a new session).

use greeting_core::SessionIn;

use super::sim::SIMULATED_CLIENT;
use super::timeline::{Exchange, Source, Timeline};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// Sent with "No session": no cookie went, none was kept.
    NoSession,
    /// Answered by the simulated server in the page.
    Simulated,
    /// It carried a cookie planted with the cookie lab.
    Planted,
    /// The server did not accept the cookie it carried; `why` is short, `reason` the server's.
    CookieRefused { why: &'static str, reason: String },
    /// The answer started a new session (visit 1).
    NewSession,
}

impl Tag {
    /// A stable name, for `data-tags` and CSS.
    pub fn as_str(&self) -> &'static str {
        match self {
            Tag::NoSession => "no-session",
            Tag::Simulated => "simulated",
            Tag::Planted => "planted",
            Tag::CookieRefused { .. } => "cookie-refused",
            Tag::NewSession => "new-session",
        }
    }

    /// The tag's text.
    pub fn text(&self) -> String {
        match self {
            Tag::NoSession => "no session".into(),
            Tag::Simulated => "simulated".into(),
            Tag::Planted => "planted cookie".into(),
            Tag::CookieRefused { why, .. } => format!("cookie refused: {why}"),
            Tag::NewSession => "new session".into(),
        }
    }

    /// A longer sentence (the tag's tooltip).
    pub fn title(&self) -> String {
        match self {
            Tag::NoSession => {
                "Sent without cookies (credentials: \"omit\"): the answer's cookie was not kept."
                    .into()
            }
            Tag::Simulated => "Answered by the simulated server in this page.".into(),
            Tag::Planted => "The request carried the cookie planted with the cookie lab.".into(),
            Tag::CookieRefused { reason, .. } => {
                format!("The server refused the cookie ({reason}) and started over.")
            }
            Tag::NewSession => "The answer started a new session: visit 1.".into(),
        }
    }
}

/// A short name for why the codec refused a cookie, from its message
/// (`flask_cookie::Rejection`'s wording, which the tests below pin).
pub fn refusal(reason: &str) -> &'static str {
    if reason.starts_with("signature does not match") {
        "bad signature"
    } else if reason.starts_with("expired") {
        "expired"
    } else if reason.starts_with("the timestamp is") {
        "from the future"
    } else if reason.starts_with("malformed") {
        "malformed"
    } else if reason.starts_with("no secret key") {
        "no secret key"
    } else {
        "not valid"
    }
}

/// The tags of exchange `e` in timeline `t`.
pub fn tags(t: &Timeline, e: &Exchange) -> Vec<Tag> {
    let mut out = Vec::new();
    let report = e.report.as_ref();
    if e.source == Source::Page && !e.session_mode {
        out.push(Tag::NoSession);
    }
    if report.is_some_and(|r| r.client == SIMULATED_CLIENT) {
        out.push(Tag::Simulated);
    }
    if e.cookie_in().is_some_and(|c| t.was_planted(c)) {
        out.push(Tag::Planted);
    }
    let answered = e.status() == Some(200);
    match report.map(|r| &r.session_in) {
        // A 401 neither reads nor changes the session: nothing was refused.
        Some(SessionIn::Rejected { reason }) if answered => out.push(Tag::CookieRefused {
            why: refusal(reason),
            reason: reason.clone(),
        }),
        Some(SessionIn::OtherUser { username, .. }) if answered => out.push(Tag::CookieRefused {
            why: if username.is_empty() {
                "no user in it"
            } else {
                "another user's"
            },
            reason: if username.is_empty() {
                "the session held no user name".into()
            } else {
                format!("the session was {username}'s")
            },
        }),
        _ => {}
    }
    let counts = e.source == Source::Other || e.session_mode;
    if answered && counts && e.visit() == Some(1) {
        out.push(Tag::NewSession);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flask_cookie::Rejection;

    fn report(
        cookie_in: Option<&str>,
        status: u16,
        session_in: SessionIn,
        visit: u64,
    ) -> greeting_core::ExchangeReport {
        greeting_core::ExchangeReport {
            seq: 1,
            exchange_id: Some("p-1".into()),
            at_ms: 0,
            duration_micros: 1,
            client: SIMULATED_CLIENT.into(),
            user_agent: None,
            method: "GET".into(),
            path: "/greeting".into(),
            request_headers: vec![],
            status,
            response_headers: vec![],
            body: String::new(),
            user: Some("cobra".into()),
            cookie_in: cookie_in.map(str::to_string),
            cookie_out: None,
            session_in,
            session_out: (status == 200).then(|| greeting_core::Session {
                username: "cobra".into(),
                visit,
            }),
            notes: vec![],
            store_entry: None,
        }
    }

    fn tags_of(status: u16, session_in: SessionIn) -> Vec<&'static str> {
        let mut t = Timeline::new();
        t.note_planted("planted.cookie.value");
        t.begin("p-1", 0, "/greeting", vec![], true, None);
        t.add_report(
            report(Some("planted.cookie.value"), status, session_in, 1),
            "p-",
        );
        let completion = super::super::timeline::Completion::Answer {
            status,
            body: "{}".into(),
            headers: vec![],
        };
        t.complete("p-1", 1.0, completion);
        let e = &t.entries[0];
        tags(&t, e).iter().map(Tag::as_str).collect()
    }

    #[test]
    fn a_planted_refused_cookie_and_the_new_session_are_tagged() {
        let refused = SessionIn::Rejected {
            reason: Rejection::BadSignature.to_string(),
        };
        assert_eq!(
            tags_of(200, refused.clone()),
            ["simulated", "planted", "cookie-refused", "new-session"]
        );
        assert_eq!(
            tags_of(401, refused),
            ["simulated", "planted"],
            "a 401 refuses nothing"
        );
        let other = SessionIn::OtherUser {
            username: "alice".into(),
            visit: 4,
        };
        assert_eq!(tags_of(401, other), ["simulated", "planted"]);
    }

    #[test]
    fn refusals_follow_the_codec_wording() {
        assert_eq!(
            refusal(&Rejection::BadSignature.to_string()),
            "bad signature"
        );
        let expired = Rejection::Expired {
            age_secs: 100,
            max_age_secs: 10,
        };
        assert_eq!(refusal(&expired.to_string()), "expired");
        let future = Rejection::FromTheFuture { ahead_by_secs: 60 };
        assert_eq!(refusal(&future.to_string()), "from the future");
        assert_eq!(
            refusal(&Rejection::NoSecretKey.to_string()),
            "no secret key"
        );
        assert_eq!(
            refusal("the session cookie is 5000 bytes long"),
            "not valid"
        );
    }
}
