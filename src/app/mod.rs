//! The page's shared state ([`Playground`]) and what its buttons do, by responsibility:
//! `targets` chooses where requests go, `sending` sends them and resets the session,
//! `batches` sends N at once, `chapter_run` runs a chapter sample, `jar` finds out which
//! cookie the browser holds, `logout` logs out and replays the old cookie. Rendering lives in
//! `components/`; decisions and the sentences the page says in `model/`.

mod batches;
mod chapter_run;
mod jar;
mod logout;
mod sending;
mod targets;

use leptos::prelude::*;
use leptos::task::spawn_local;

use greeting_core::{basic_auth_header, ExchangeReport, ServerInfo};

use crate::model::chapter_run::ComparedLine;
use crate::model::errors::{Context, Login, Probe};
use crate::model::jar::Jar;
use crate::model::sim::{key_from_bytes, SimServer};
use crate::model::status::Banner;
use crate::model::target::{parse_origin, TargetKind};
use crate::model::timeline::Timeline;
use crate::net::{self, SideChannel};

pub use logout::Lesson;

/// How the page starts. `Options::default()` is the real page: it looks for the greeting server
/// that served it and falls back to the simulated one.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Start on this target without looking for a server (tests; `?target=simulated`).
    pub start: Option<TargetKind>,
    /// A fixed key for the simulated server (random when `None`).
    pub sim_key: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideState {
    /// No side channel for this target.
    None,
    Connecting,
    Live,
    /// The simulated server reports directly.
    InPage,
}

/// The result of the last "Run in playground", per code block id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub block: usize,
    pub running: bool,
    pub lines: Vec<ComparedLine>,
    pub note: Option<String>,
}

/// The playground's state, shared by every component through Leptos' context (all `Copy`
/// handles), with the actions the buttons trigger.
#[derive(Clone, Copy)]
pub struct Playground {
    pub username: RwSignal<String>,
    pub password: RwSignal<String>,
    pub session_mode: RwSignal<bool>,
    pub count: RwSignal<u32>,
    pub timeout_ms: RwSignal<u32>,
    /// `None` while the page is still looking for a server.
    pub kind: RwSignal<Option<TargetKind>>,
    pub custom_url: RwSignal<String>,
    /// The base URL requests go to (`""`: the page's origin).
    pub base: RwSignal<String>,
    pub info: RwSignal<Option<ServerInfo>>,
    pub banner: RwSignal<Banner>,
    pub timeline: RwSignal<Timeline>,
    pub selected: RwSignal<Option<usize>>,
    pub expanded: RwSignal<Vec<usize>>,
    pub sim: StoredValue<SimServer>,
    pub sim_jar: RwSignal<Option<String>>,
    /// The browser's jar for a real server (the simulated one's is `sim_jar`): see [`Playground::jar_now`].
    pub jar: RwSignal<Jar>,
    pub side: RwSignal<SideState>,
    channel: StoredValue<Option<SideChannel>, LocalStorage>,
    /// A sentence about the last batch or reset.
    pub note: RwSignal<Option<String>>,
    pub in_flight: RwSignal<u32>,
    pub run: RwSignal<Option<RunOutcome>>,
    /// Log out and replay the old cookie, in both session modes.
    pub lesson: RwSignal<Lesson>,
    /// The simulated server that runs the other mode's steps of the lesson.
    shadow: StoredValue<Option<SimServer>>,
    prefix: StoredValue<String>,
    next_id: StoredValue<u64>,
}

const INFO_TIMEOUT_MS: u32 = 3000;

/// The most requests one press of "Send N" sends.
pub const MAX_COUNT: u32 = 50;

impl Playground {
    pub fn new(options: &Options) -> Playground {
        let key = options
            .sim_key
            .clone()
            .unwrap_or_else(|| key_from_bytes(&net::random_bytes(16)));
        let sim = SimServer::new(key);
        let prefix = format!("playground{}", key_from_bytes(&net::random_bytes(4)));
        Playground {
            username: RwSignal::new("cobra".into()),
            password: RwSignal::new("hiss".into()),
            session_mode: RwSignal::new(true),
            count: RwSignal::new(3),
            timeout_ms: RwSignal::new(5000),
            kind: RwSignal::new(None),
            custom_url: RwSignal::new("http://localhost:5000".into()),
            base: RwSignal::new(String::new()),
            info: RwSignal::new(None),
            banner: RwSignal::new(Banner::looking()),
            timeline: RwSignal::new(Timeline::new()),
            selected: RwSignal::new(None),
            expanded: RwSignal::new(Vec::new()),
            sim: StoredValue::new(sim),
            sim_jar: RwSignal::new(None),
            jar: RwSignal::new(Jar::Unknown),
            side: RwSignal::new(SideState::None),
            channel: StoredValue::new_local(None),
            note: RwSignal::new(None),
            in_flight: RwSignal::new(0),
            run: RwSignal::new(None),
            lesson: RwSignal::new(Lesson::default()),
            shadow: StoredValue::new(None),
            prefix: StoredValue::new(prefix),
            next_id: StoredValue::new(0),
        }
    }

    pub fn authorization(&self) -> String {
        basic_auth_header(
            &self.username.get_untracked(),
            &self.password.get_untracked(),
        )
    }

    pub(crate) fn new_id(&self) -> String {
        let n = self.next_id.get_value() + 1;
        self.next_id.set_value(n);
        format!("{}-{n}", self.prefix.get_value())
    }

    /// The key cookies can be verified with: the simulated server's, or the server's in
    /// teaching mode.
    pub fn verify_key(&self) -> Option<String> {
        match self.kind.get()? {
            TargetKind::Simulated => Some(self.sim.with_value(|s| s.secret_key().to_string())),
            TargetKind::Server | TargetKind::Custom => self
                .info
                .with(|i| i.as_ref().and_then(|i| i.secret_key.clone())),
        }
    }

    /// The cookie the next request in session mode carries, as far as the page knows (tracked).
    pub fn jar_now(&self) -> Jar {
        match self.kind.get() {
            Some(TargetKind::Simulated) => self.sim_jar.with(|j| Jar::of(j.as_deref())),
            _ => self.jar.get(),
        }
    }

    /// [`Playground::verify_key`] without subscribing (for event handlers).
    pub fn verify_key_untracked(&self) -> Option<String> {
        untrack(|| self.verify_key())
    }

    pub fn max_age_secs(&self) -> u64 {
        self.info
            .with(|i| i.as_ref().map(|i| i.max_age_secs))
            .unwrap_or(flask_cookie::DEFAULT_MAX_AGE_SECS)
    }

    fn close_channel(&self) {
        self.channel.set_value(None);
        self.side.set(SideState::None);
    }

    fn open_channel(&self, base: &str, with_credentials: bool) {
        self.close_channel();
        let playground = *self;
        let prefix = self.prefix.get_value();
        let on_report = move |r: ExchangeReport| {
            playground.timeline.update(|t| {
                t.add_report(r, &prefix);
            });
        };
        let info_base = base.to_string();
        let on_state = move |up: bool| {
            let was_live = playground.side.get_untracked() == SideState::Live;
            playground.side.set(if up {
                SideState::Live
            } else {
                SideState::Connecting
            });
            if up && !was_live && playground.info.with_untracked(Option::is_some) {
                // (Re)connected: the server may have restarted with another key.
                let base = info_base.clone();
                spawn_local(async move {
                    if let Ok(info) = net::server_info(&base, INFO_TIMEOUT_MS).await {
                        if playground
                            .info
                            .with_untracked(|i| i.as_ref() != Some(&info))
                        {
                            playground.info.set(Some(info));
                        }
                    }
                });
            }
        };
        let ch = SideChannel::open(base, with_credentials, on_report, on_state);
        self.side.set(if ch.is_some() {
            SideState::Connecting
        } else {
            SideState::None
        });
        self.channel.set_value(ch);
    }

    pub(crate) fn context(&self, probe: Probe) -> Context {
        let kind = self.kind.get_untracked().unwrap_or_default();
        let page = parse_origin(&net::page_origin());
        let base = self.base.get_untracked();
        Context {
            kind,
            target: if base.is_empty() {
                page.clone()
            } else {
                parse_origin(&base)
            },
            page,
            session: self.session_mode.get_untracked(),
            probe,
            via_dev_proxy: false,
            login: Some(Login {
                username: self.username.get_untracked(),
                known_users: match kind {
                    TargetKind::Simulated => Some(self.sim.with_value(|s| s.user_names())),
                    _ => self
                        .info
                        .with_untracked(|i| i.as_ref().map(|i| i.users.clone())),
                },
            }),
        }
    }
}
