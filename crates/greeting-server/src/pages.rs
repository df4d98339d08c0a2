//! Who sees what on the side channel, by page rather than by address.
//!
//! Every subscriber of `GET /playground/api/events` is a page: it gets a random token in its
//! `hello` event and sends it back with its own requests (`X-Playground-Page`). Each exchange
//! then goes only to the pages that may see it, each through its own bounded queue:
//!
//! * a page sees its own exchanges (those carrying its token) in full;
//! * an exchange of a client that is not a page (no token of a subscribed page: the learner's
//!   Python) goes to the pages from the same address (any loopback address, on a server that
//!   trusts loopback), in full only on the learner's own machine
//!   (both on [`Reach::ThisMachine`] of a server that trusts loopback, i.e. bound to loopback and
//!   not `--classroom`), with its credentials and cookies masked otherwise;
//! * another page's exchanges are never shown, so two learners behind one NAT address see only
//!   their own page's requests;
//! * an instructor page (opened with `--instructor-token`) sees every exchange, masked (its own
//!   in full).

use crate::guard::Reach;
use crate::jar_pair::{CARRIED_COOKIE, CARRIED_SET_COOKIE};
use axum::http::HeaderName;
use axum::response::sse::Event;
use greeting_core::{mask_authorization, ExchangeReport};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The request header that carries a page's token.
pub static PAGE_TOKEN: HeaderName = HeaderName::from_static("x-playground-page");

/// What a masked value reads.
const HIDDEN: &str = "<hidden>";

/// A report of another client that arrives this soon after the page's last write waits for the
/// rest of that moment's reports, and they go out in one write: under load a page gets about a
/// hundred writes a second, however many exchanges it sees. A lone report, and a report of the
/// page's own request (it waits for it to learn its jar), go at once.
pub const GATHER: Duration = Duration::from_millis(10);

/// The sentence a masked report carries for the learner.
pub const MASKED_NOTE: &str =
    "Another client's exchange: its credentials and cookies are hidden from this page.";

/// A page's token: 16 random bytes as 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    fn random() -> Result<Token, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Token(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Looks a request's `X-Playground-Page` up without copying it.
impl Borrow<str> for Token {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// One view of a report (in full or masked), framed once as its `exchange` event for every
/// page that receives it.
#[derive(Debug)]
pub struct View {
    json: Arc<str>,
    event: Event,
}

impl View {
    fn new(json: Arc<str>) -> Arc<View> {
        let event = Event::default().event("exchange").data(&*json);
        Arc::new(View { json, event })
    }

    /// The report as JSON.
    pub fn json(&self) -> &Arc<str> {
        &self.json
    }

    /// The `exchange` event carrying it.
    pub fn event(&self) -> Event {
        self.event.clone()
    }
}

/// One event for one page.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A report.
    Exchange(Arc<View>),
    /// The page's queue was full: this many reports were dropped for it.
    Lagged(u64),
}

/// A subscribed page.
#[derive(Debug)]
struct Page {
    token: Token,
    ip: IpAddr,
    reach: Reach,
    queue: mpsc::Sender<Queued>,
    missed: AtomicU64,
}

/// A report in a page's queue.
#[derive(Debug)]
struct Queued {
    view: Arc<View>,
    /// Of the page's own request.
    own: bool,
}

impl Page {
    fn send(&self, view: &Arc<View>, own: bool) {
        let queued = Queued {
            view: view.clone(),
            own,
        };
        if self.queue.try_send(queued).is_err() {
            // Full (a page that stopped reading) or closed (it just left): dropped for it alone.
            self.missed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Who sent an exchange.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The client's address, canonical.
    pub ip: IpAddr,
    /// The `X-Playground-Page` value, if any (checked against the subscribed pages).
    pub token: Option<&'a str>,
    pub reach: Reach,
}

#[derive(Debug, Default)]
struct Registry {
    by_token: HashMap<Token, Arc<Page>>,
    by_ip: HashMap<IpAddr, Vec<Arc<Page>>>,
    instructors: Vec<Arc<Page>>,
}

#[derive(Debug)]
struct Shared {
    registry: RwLock<Registry>,
    /// How many pages are subscribed: read on every exchange without the lock.
    count: AtomicUsize,
    /// Bound to loopback and not `--classroom`: the same learner's programs on this machine see
    /// each other in full.
    trusts_loopback: bool,
    queue_len: usize,
}

/// The subscribed pages (cloned into the side channel and the reporter).
#[derive(Debug, Clone)]
pub struct Pages(Arc<Shared>);

/// The pages that may see one exchange, and how.
#[derive(Debug, Default)]
pub struct Audience {
    /// The page whose request it was.
    own: Option<Arc<Page>>,
    /// Other pages that see it in full.
    full: Vec<Arc<Page>>,
    masked: Vec<Arc<Page>>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        self.own.is_none() && self.full.is_empty() && self.masked.is_empty()
    }

    pub fn wants_full(&self) -> bool {
        self.own.is_some() || !self.full.is_empty()
    }

    pub fn wants_masked(&self) -> bool {
        !self.masked.is_empty()
    }

    /// Queues the report for each page, the JSON it may see (a `None` is not sent), each view
    /// framed once for all the pages that get it.
    pub fn deliver(&self, full: Option<Arc<str>>, masked: Option<Arc<str>>) {
        if let Some(json) = full.filter(|_| self.wants_full()) {
            let view = View::new(json);
            if let Some(own) = &self.own {
                own.send(&view, true);
            }
            for page in &self.full {
                page.send(&view, false);
            }
        }
        if let Some(json) = masked.filter(|_| self.wants_masked()) {
            let view = View::new(json);
            for page in &self.masked {
                page.send(&view, false);
            }
        }
    }
}

impl Pages {
    /// `queue_len`: how many reports wait for a slow page before it misses some.
    pub fn new(trusts_loopback: bool, queue_len: usize) -> Pages {
        Pages(Arc::new(Shared {
            registry: RwLock::default(),
            count: AtomicUsize::new(0),
            trusts_loopback,
            queue_len,
        }))
    }

    /// No page is subscribed (then an exchange is not even reported).
    pub fn is_empty(&self) -> bool {
        self.0.count.load(Ordering::Acquire) == 0
    }

    /// Subscribes a page from `ip`; it is unsubscribed when the [`Subscription`] is dropped.
    pub fn subscribe(
        &self,
        ip: IpAddr,
        reach: Reach,
        instructor: bool,
    ) -> Result<Subscription, getrandom::Error> {
        let (queue, events) = mpsc::channel(self.0.queue_len);
        let page = Arc::new(Page {
            token: Token::random()?,
            ip: ip.to_canonical(),
            reach,
            queue,
            missed: AtomicU64::new(0),
        });
        let mut registry = self.write();
        registry.by_token.insert(page.token.clone(), page.clone());
        if instructor {
            registry.instructors.push(page.clone());
        } else {
            registry
                .by_ip
                .entry(page.ip)
                .or_default()
                .push(page.clone());
        }
        // Counted under the lock, before the first exchange can look for it.
        self.0.count.fetch_add(1, Ordering::AcqRel);
        drop(registry);
        Ok(Subscription {
            page,
            events,
            pages: self.clone(),
        })
    }

    fn unsubscribe(&self, page: &Arc<Page>) {
        let mut registry = self.write();
        if registry.by_token.remove(&page.token).is_none() {
            return;
        }
        registry.instructors.retain(|p| !Arc::ptr_eq(p, page));
        if let Some(at_ip) = registry.by_ip.get_mut(&page.ip) {
            at_ip.retain(|p| !Arc::ptr_eq(p, page));
            if at_ip.is_empty() {
                registry.by_ip.remove(&page.ip);
            }
        }
        self.0.count.fetch_sub(1, Ordering::AcqRel);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.0
            .registry
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The pages that may see an exchange from `source` (see the module docs).
    pub fn audience(&self, source: &Source<'_>) -> Audience {
        let mut audience = Audience::default();
        if self.is_empty() {
            return audience;
        }
        let registry = self
            .0
            .registry
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let own = source.token.and_then(|t| registry.by_token.get(t));
        if let Some(own) = own {
            audience.own = Some(own.clone());
        }
        for instructor in &registry.instructors {
            if !own.is_some_and(|own| Arc::ptr_eq(own, instructor)) {
                audience.masked.push(instructor.clone());
            }
        }
        if own.is_none() {
            let ip = source.ip.to_canonical();
            // On a server that trusts loopback, every loopback address is this one machine.
            let other_loopback = (self.0.trusts_loopback && ip.is_loopback())
                .then(|| registry.by_ip.iter())
                .into_iter()
                .flatten()
                .filter(|(page_ip, _)| **page_ip != ip && page_ip.is_loopback())
                .flat_map(|(_, pages)| pages);
            let neighbours = registry
                .by_ip
                .get(&ip)
                .into_iter()
                .flatten()
                .chain(other_loopback);
            for page in neighbours {
                let same_machine = self.0.trusts_loopback
                    && page.reach == Reach::ThisMachine
                    && source.reach == Reach::ThisMachine;
                if same_machine {
                    audience.full.push(page.clone());
                } else {
                    audience.masked.push(page.clone());
                }
            }
        }
        audience
    }
}

/// One page's subscription: its token and its events. Dropping it unsubscribes the page.
#[derive(Debug)]
pub struct Subscription {
    page: Arc<Page>,
    events: mpsc::Receiver<Queued>,
    pages: Pages,
}

impl Subscription {
    pub fn token(&self) -> &Token {
        &self.page.token
    }

    /// The next event: how many reports were dropped since the last one, if any, then the next
    /// report. `None` never comes while the subscription lives (the registry holds a sender).
    pub async fn next(&mut self) -> Option<Delivery> {
        let missed = self.page.missed.swap(0, Ordering::Relaxed);
        if missed > 0 {
            return Some(Delivery::Lagged(missed));
        }
        if let Ok(queued) = self.events.try_recv() {
            return Some(Delivery::Exchange(queued.view));
        }
        // The queue is empty: the server writes what this page has been given so far.
        let written_at = Instant::now();
        let queued = self.events.recv().await?;
        if let (false, Some(wait)) = (queued.own, GATHER.checked_sub(written_at.elapsed())) {
            tokio::time::sleep(wait).await;
        }
        Some(Delivery::Exchange(queued.view))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.pages.unsubscribe(&self.page);
    }
}

/// The report as another client's exchange is shown: the credentials of `Authorization`
/// masked (`Basic <cobra:***>`), cookies and page tokens hidden, and a note saying so. The
/// user name and the visit numbers stay: they are what the exchange did, not a key to it.
pub fn masked(report: &ExchangeReport) -> ExchangeReport {
    let mut masked = report.clone();
    for header in &mut masked.request_headers {
        if header.name.eq_ignore_ascii_case("authorization") {
            header.value = mask_authorization(&header.value);
        } else if header.name.eq_ignore_ascii_case("cookie")
            || header.name.eq_ignore_ascii_case(CARRIED_COOKIE.as_str())
            || header.name.eq_ignore_ascii_case(PAGE_TOKEN.as_str())
        {
            header.value = HIDDEN.into();
        }
    }
    for header in &mut masked.response_headers {
        if header.name.eq_ignore_ascii_case("set-cookie")
            || header
                .name
                .eq_ignore_ascii_case(CARRIED_SET_COOKIE.as_str())
        {
            header.value = HIDDEN.into();
        }
    }
    masked.cookie_in = None;
    masked.cookie_out = None;
    if let Some(entry) = &mut masked.store_entry {
        // The key names the id, which is as good as the cookie.
        entry.key = None;
    }
    masked.notes.push(MASKED_NOTE.into());
    masked
}

#[cfg(test)]
mod tests {
    use super::*;
    use greeting_core::{Header, SessionIn};
    use std::net::Ipv4Addr;
    use std::time::Duration;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// Delivers "full" and "masked" as the two JSON texts, so a test reads which a page got.
    fn publish(pages: &Pages, source: Source<'_>) {
        pages
            .audience(&source)
            .deliver(Some("full".into()), Some("masked".into()));
    }

    async fn received(sub: &mut Subscription) -> Vec<String> {
        let mut got = Vec::new();
        while let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_millis(20), sub.next()).await
        {
            got.push(match delivery {
                Delivery::Exchange(view) => view.json().to_string(),
                Delivery::Lagged(n) => format!("lagged {n}"),
            });
        }
        got
    }

    #[tokio::test]
    async fn two_pages_behind_one_address_see_their_own_and_the_script_masked() {
        let pages = Pages::new(false, 16);
        let mut a = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let mut b = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let mut elsewhere = pages.subscribe(ip(2), Reach::Beyond, false).unwrap();
        assert_ne!(a.token(), b.token());
        assert_eq!(a.token().as_str().len(), 32);
        let a_token = a.token().as_str().to_string();
        let source = |token: Option<&'static str>| Source {
            ip: ip(1),
            token,
            reach: Reach::Beyond,
        };
        publish(
            &pages,
            Source {
                token: Some(&a_token),
                ..source(None)
            },
        );
        // The script: no token, or one no page holds.
        publish(&pages, source(None));
        publish(&pages, source(Some("0123456789abcdef0123456789abcdef")));
        assert_eq!(received(&mut a).await, ["full", "masked", "masked"]);
        assert_eq!(received(&mut b).await, ["masked", "masked"]);
        assert_eq!(received(&mut elsewhere).await, Vec::<String>::new());
    }

    #[tokio::test]
    async fn the_learners_own_machine_sees_its_script_in_full_unless_classroom() {
        for (trusts_loopback, page_reach, script_reach, expected) in [
            (true, Reach::ThisMachine, Reach::ThisMachine, "full"),
            (false, Reach::ThisMachine, Reach::ThisMachine, "masked"),
            // Through a tunnel into loopback: the same address, not the same learner.
            (true, Reach::Beyond, Reach::ThisMachine, "masked"),
            (true, Reach::ThisMachine, Reach::Beyond, "masked"),
        ] {
            let pages = Pages::new(trusts_loopback, 16);
            let mut page = pages.subscribe(LOOPBACK, page_reach, false).unwrap();
            publish(
                &pages,
                Source {
                    ip: LOOPBACK,
                    token: None,
                    reach: script_reach,
                },
            );
            assert_eq!(
                received(&mut page).await,
                [expected],
                "{trusts_loopback} {page_reach:?} {script_reach:?}"
            );
        }
        // Another loopback address is the same machine only on a server that trusts loopback.
        for (trusts_loopback, expected) in [(true, vec!["full"]), (false, vec![])] {
            let pages = Pages::new(trusts_loopback, 16);
            let mut page = pages
                .subscribe(LOOPBACK, Reach::ThisMachine, false)
                .unwrap();
            publish(
                &pages,
                Source {
                    ip: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
                    token: None,
                    reach: Reach::ThisMachine,
                },
            );
            assert_eq!(received(&mut page).await, expected, "{trusts_loopback}");
        }
    }

    #[tokio::test]
    async fn the_instructor_sees_everything_masked_and_its_own_in_full() {
        let pages = Pages::new(true, 16);
        let mut teacher = pages.subscribe(ip(9), Reach::Beyond, true).unwrap();
        let learner = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let learner_token = learner.token().as_str().to_string();
        let teacher_token = teacher.token().as_str().to_string();
        for token in [Some(learner_token.as_str()), None, Some(&teacher_token)] {
            publish(
                &pages,
                Source {
                    ip: ip(1),
                    token,
                    reach: Reach::Beyond,
                },
            );
        }
        assert_eq!(received(&mut teacher).await, ["masked", "masked", "full"]);
    }

    #[tokio::test]
    async fn a_page_that_stops_reading_lags_alone_and_leaving_unsubscribes() {
        let pages = Pages::new(false, 2);
        let mut slow = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let mut fast = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let script = Source {
            ip: ip(1),
            token: None,
            reach: Reach::Beyond,
        };
        for _ in 0..2 {
            publish(&pages, script.clone());
        }
        assert_eq!(received(&mut fast).await, ["masked", "masked"]);
        for _ in 0..2 {
            publish(&pages, script.clone());
        }
        assert_eq!(received(&mut slow).await, ["lagged 2", "masked", "masked"]);
        assert_eq!(received(&mut fast).await, ["masked"; 2]);
        assert!(!pages.is_empty());
        let slow_token = slow.token().as_str().to_string();
        drop(slow);
        drop(fast);
        assert!(pages.is_empty());
        let gone = Source {
            token: Some(&slow_token),
            ..script
        };
        assert!(pages.audience(&gone).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_report_and_the_pages_own_go_at_once_and_a_busy_moment_in_one_write() {
        let pages = Pages::new(false, 16);
        let mut page = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let script = Source {
            ip: ip(1),
            token: None,
            reach: Reach::Beyond,
        };
        let waiting = tokio::spawn(async move {
            let delivery = page.next().await;
            (delivery, Instant::now(), page)
        });
        tokio::time::sleep(3 * GATHER).await;
        let published = Instant::now();
        publish(&pages, script.clone());
        let (delivery, at, mut page) = waiting.await.unwrap();
        assert!(matches!(delivery, Some(Delivery::Exchange(_))));
        assert_eq!(at, published, "long after the last write: no wait");

        // The queue ran dry (the write went out); reports that come right after it wait out
        // the rest of GATHER together, then come one after the other with no wait between.
        let written = Instant::now();
        let waiting = tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..3 {
                page.next().await;
                times.push(Instant::now());
            }
            (times, page)
        });
        tokio::time::sleep(GATHER / 5).await;
        for _ in 0..3 {
            publish(&pages, script.clone());
        }
        let (times, mut page) = waiting.await.unwrap();
        assert_eq!(times, [written + GATHER; 3]);

        // The page's own request, right after that write: no wait.
        let token = page.token().as_str().to_string();
        let waiting = tokio::spawn(async move {
            let delivery = page.next().await;
            (delivery, Instant::now())
        });
        tokio::time::sleep(GATHER / 5).await;
        let published = Instant::now();
        publish(
            &pages,
            Source {
                token: Some(&token),
                ..script
            },
        );
        let (delivery, at) = waiting.await.unwrap();
        let Some(Delivery::Exchange(view)) = delivery else {
            panic!("the page's own report");
        };
        assert_eq!((view.json().as_ref(), at), ("full", published));
    }

    #[tokio::test]
    async fn a_view_is_framed_once_for_all_the_pages_that_get_it() {
        let pages = Pages::new(false, 16);
        let mut a = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        let mut b = pages.subscribe(ip(1), Reach::Beyond, false).unwrap();
        publish(
            &pages,
            Source {
                ip: ip(1),
                token: None,
                reach: Reach::Beyond,
            },
        );
        let (Some(Delivery::Exchange(to_a)), Some(Delivery::Exchange(to_b))) =
            (a.next().await, b.next().await)
        else {
            panic!("both pages get the script's exchange");
        };
        assert!(Arc::ptr_eq(&to_a, &to_b));
        assert_eq!(
            format!("{:?}", to_a.event()),
            format!("{:?}", Event::default().event("exchange").data("masked"))
        );
    }

    #[test]
    fn masking_hides_credentials_cookies_and_tokens() {
        let report = ExchangeReport {
            seq: 1,
            exchange_id: Some("e-1".into()),
            at_ms: 0,
            duration_micros: 0,
            client: "10.0.0.1:4000".into(),
            user_agent: None,
            method: "GET".into(),
            path: "/greeting".into(),
            request_headers: vec![
                Header::new("Authorization", "Basic Y29icmE6aGlzcw=="),
                Header::new("Cookie", "session=PAYLOAD.TS.SIG"),
                Header::new("X-Playground-Page", "0123"),
                Header::new("X-Playground-Cookie", "session=JAR.TS.JARSIG"),
                Header::new("Accept", "*/*"),
            ],
            status: 200,
            response_headers: vec![
                Header::new("Set-Cookie", "session=P2.T2.S2; HttpOnly; Path=/"),
                Header::new(
                    "X-Playground-Set-Cookie",
                    "session=P3.T3.S3; HttpOnly; Path=/",
                ),
            ],
            body: "{}".into(),
            user: Some("cobra".into()),
            cookie_in: Some("PAYLOAD.TS.SIG".into()),
            cookie_out: Some("P2.T2.S2".into()),
            session_in: SessionIn::Continued {
                username: "cobra".into(),
                visit: 1,
            },
            session_out: None,
            notes: vec![],
            store_entry: Some(greeting_core::StoreEntry {
                key: Some("session:STOREDID".into()),
                value: Some(r#"{"username":"cobra","visit":1}"#.into()),
                ttl_secs: Some(60),
            }),
        };
        let m = masked(&report);
        let json = serde_json::to_string(&m).unwrap();
        // The entry's session stays (as `session_out` does); its key, the id, goes.
        assert_eq!(
            m.store_entry.as_ref().map(|e| (&e.key, e.ttl_secs)),
            Some((&None, Some(60)))
        );
        for secret in ["Y29icmE6aGlzcw==", "SIG", "S2", "S3", "0123", "STOREDID"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        assert_eq!(m.request_headers[0].value, "Basic <cobra:***>");
        assert_eq!(m.request_headers[4].value, "*/*");
        assert_eq!((m.cookie_in, m.cookie_out), (None, None));
        assert_eq!(m.session_in, report.session_in);
        assert_eq!(m.notes, [MASKED_NOTE]);
    }
}
