//! The load generator alone, against any running server:
//!
//! ```text
//! loadgen http://127.0.0.1:5000/greeting [-c 16] [-d 5] [--threads 1] [--hello] [--user cobra:hiss]
//! ```
//! Greeting mode (the default) keeps one session cookie per connection and checks that visits
//! climb; `--hello` only checks for 200. Prints requests/s, latency p50/p90/p99/max and errors.

use benchmarks::load::{run_load, Check, LoadSpec};
use std::net::ToSocketAddrs;
use std::time::Duration;

fn main() {
    if let Err(e) = real_main() {
        eprintln!("loadgen: {e}");
        std::process::exit(2);
    }
}

fn real_main() -> Result<(), String> {
    let mut url = None;
    let mut connections = 16usize;
    let mut duration = 5.0f64;
    let mut threads = 1usize;
    let mut check = Check::Greeting;
    let mut user = ("cobra".to_string(), "hiss".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "-c" | "--connections" => {
                connections = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?
            }
            "-d" | "--duration" => {
                duration = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?
            }
            "--threads" => threads = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?,
            "--hello" => check = Check::Status200,
            "--user" => {
                let v = value(&a)?;
                let (n, p) = v.split_once(':').ok_or("--user wants NAME:PASSWORD")?;
                user = (n.to_string(), p.to_string());
            }
            "-h" | "--help" => {
                println!("loadgen http://HOST:PORT/PATH [-c CONNECTIONS] [-d SECONDS] [--threads N] [--hello] [--user NAME:PASSWORD]");
                return Ok(());
            }
            other if url.is_none() && !other.starts_with('-') => url = Some(other.to_string()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let url = url.ok_or("give the URL, e.g. http://127.0.0.1:5000/greeting")?;
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| format!("{hostport}: {e}"))?
        .next()
        .ok_or(format!("{hostport}: no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address; this load generator only loads this machine"
        ));
    }
    let mut spec = LoadSpec::new(
        addr,
        path,
        connections,
        Duration::from_secs_f64(duration),
        check,
    );
    spec.user = user;
    spec.client_threads = threads;
    let r = run_load(&spec).map_err(|e| e.to_string())?;
    println!(
        "{} connections, {:.1} s: {} ok, {:.0} req/s, latency p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs; {} connects; highest visit #{}; errors: {}",
        r.connections,
        r.elapsed.as_secs_f64(),
        r.ok,
        r.throughput(),
        r.latency_us(0.5),
        r.latency_us(0.9),
        r.latency_us(0.99),
        r.latency_us(1.0),
        r.connects,
        r.max_visit,
        r.error_summary()
    );
    Ok(())
}
