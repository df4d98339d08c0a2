//! The command line: `greeting-server [serve] [OPTIONS]`, `greeting-server decode COOKIE`,
//! `greeting-server sign JSON --secret-key K`.

use crate::sessions::SessionMode;
use clap::{Args, Parser, Subcommand};
use session_store::StoreSpec;
use std::net::IpAddr;
use std::path::PathBuf;

/// The environment variable that holds the secret key when `--secret-key` is not given.
pub const SECRET_KEY_ENV: &str = "GREETING_SECRET_KEY";

#[derive(Debug, Parser)]
#[command(
    name = "greeting-server",
    version,
    about = "The Sessions chapter's greeting server: GET /greeting with Basic auth and a Flask-compatible session cookie.",
    long_about = "The Sessions chapter's greeting server: GET /greeting with HTTP Basic auth keeps a visit \
counter in a Flask-compatible signed `session` cookie, so the chapter's own Python code, pointed at it, \
prints what the chapter prints. Also GET /user, the playground's side channel under /playground/api/, \
and (with --static) the playground page itself.\n\nWithout a subcommand it serves.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve /greeting, /user, the playground API and (with --static) the page (the default).
    Serve(ServeArgs),
    /// Take a session cookie apart: payload, tags, timestamp, signature and, with a key, the verdict.
    Decode(DecodeArgs),
    /// Sign a session (a JSON object) into a cookie value, as Flask would.
    Sign(SignArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback, a page sees other clients' exchanges (from its own
    /// address) masked on the side channel, and the secret key is not revealed (unless
    /// --reveal-secret-key, and then only to requests from this machine).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Port to listen on (0 picks a free one; the listening line says which).
    #[arg(long, default_value_t = 5000)]
    pub port: u16,

    /// The secret key that signs session cookies (Flask's SECRET_KEY). Also read from the
    /// GREETING_SECRET_KEY environment variable; without either, a random key per start.
    #[arg(long, value_name = "KEY")]
    pub secret_key: Option<String>,

    /// An older secret key that still verifies cookies (Flask's SECRET_KEY_FALLBACKS); repeatable.
    #[arg(long = "fallback-key", value_name = "KEY")]
    pub fallback_keys: Vec<String>,

    /// A user as NAME:PASSWORD; repeatable; replaces the course's users
    /// (cobra/hiss, nagini/crawl, viper/bite, anaconda/slither).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,

    /// How old a session cookie may be, in seconds (Flask's PERMANENT_SESSION_LIFETIME).
    #[arg(long, value_name = "SECS", default_value_t = flask_cookie::DEFAULT_MAX_AGE_SECS)]
    pub max_age: u64,

    /// Serve the built playground page from this directory at / (index.html for unknown paths
    /// without a file extension; a file's .br or .gz twin when the client accepts it).
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,

    /// Send `WWW-Authenticate: Basic realm="greeting"` with 401s. Off by default: with it a
    /// browser shows its own login dialog and remembers the credentials, which hides what the
    /// playground teaches (and the course's server does not send it either).
    #[arg(long)]
    pub www_authenticate: bool,

    /// Allow this exact origin (e.g. http://localhost:8080) to call the server from a page,
    /// with credentials; repeatable. Other origins get no CORS headers.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,

    /// Also answer requests whose Host is NAME (a LAN name, a tunnel's public name); a leading
    /// dot (.NAME) allows NAME and its subdomains; repeatable. By default only localhost, the
    /// loopback addresses and the address the server is bound to are answered (a defence
    /// against DNS rebinding); any other Host gets 421.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,

    /// The instructor view: a page opened with ?instructor=TOKEN sees every learner's
    /// exchanges on the side channel, credentials and cookies masked.
    #[arg(long, value_name = "TOKEN")]
    pub instructor_token: Option<String>,

    /// Reveal the secret key on /playground/api/info even when bound beyond loopback or with
    /// --classroom; still only to requests from this machine (loopback, with a loopback Host).
    #[arg(long, conflicts_with = "no_teaching")]
    pub reveal_secret_key: bool,

    /// Never reveal the secret key (teaching mode is on by default on loopback).
    #[arg(long)]
    pub no_teaching: bool,

    /// Behave as if bound beyond loopback even on a loopback address (a tunnel into loopback, or
    /// a rehearsal): each page sees its own exchanges in full and other clients' from its address
    /// masked, and the secret key is not revealed (unless --reveal-secret-key).
    #[arg(long)]
    pub classroom: bool,

    /// How long a client may take to send a request's headers or body, and how long an idle
    /// keep-alive connection stays open, in seconds. A client that goes quiet for longer is
    /// disconnected (a 408 when it stalls in a body).
    #[arg(long, value_name = "SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub read_timeout: u64,

    /// Where the session lives: `cookie` (Flask's signed cookie holds it) or `server` (the
    /// cookie holds a random id, the session lives in --session-store, as with Flask-Session).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SessionMode::Cookie)]
    pub sessions: SessionMode,

    /// With --sessions server: `memory` (the default) or `redis://HOST:PORT`, Flask-Session's
    /// Redis layout, so several servers (and Flask apps using Flask-Session) share sessions.
    #[arg(long, value_name = "memory|redis://HOST:PORT")]
    pub session_store: Option<StoreSpec>,
}

impl ServeArgs {
    /// The serve options from flags alone (no program name, no subcommand), as in
    /// `ServeArgs::from_flags(&["--secret-key", "k"])`: for building a [`crate::Config`] in
    /// tests and tools.
    pub fn from_flags(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = std::iter::once("greeting-server").chain(flags.iter().copied());
        Ok(Cli::try_parse_from(argv)?.serve)
    }
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The cookie value (`PAYLOAD.TIMESTAMP.SIGNATURE`; a leading `session=` and trailing
    /// attributes are ignored).
    pub cookie: String,
    /// Verify with this secret key; repeat to try fallbacks (the first is SECRET_KEY).
    #[arg(long = "secret-key", value_name = "KEY")]
    pub secret_keys: Vec<String>,
    /// Max age for the verdict, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = flask_cookie::DEFAULT_MAX_AGE_SECS)]
    pub max_age: u64,
    /// "Now" for the age and the verdict, Unix seconds (default: the clock).
    #[arg(long, value_name = "UNIX_SECS")]
    pub now: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The session, a JSON object, e.g. '{"username": "cobra", "visit": 7}'.
    pub json: String,
    /// The secret key to sign with.
    #[arg(long, value_name = "KEY")]
    pub secret_key: String,
    /// The timestamp to sign with, Unix seconds (default: now).
    #[arg(long, value_name = "UNIX_SECS")]
    pub timestamp: Option<u64>,
}
