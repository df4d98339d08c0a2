//! A classroom under load (issue 17): 100 pages subscribed to the side channel, each with its own
//! token, two pages behind each address, while 50 scripted clients (one per address) make 200
//! greeting requests each, half of them tagged with the token of the first page at their
//! address. Every page must receive exactly its own exchanges and its address's untagged ones,
//! with no `lagged` event, and the server's throughput must hold up against the same run with
//! no page subscribed. The classroom itself is test-support's (the benchmark row runs it too).
//!
//! The figures are printed (`--nocapture`): requests per second, and the server's own CPU time
//! per request (from /proc), which the clients sharing the cores disturb less. The bound here is
//! loose (at most four times the CPU per request of the run without pages), for a busy machine;
//! BENCHMARKS.md has the figure measured on a quiet one. A debug build runs 20 requests per
//! client instead of 200 to stay a few seconds long; `cargo test --release` runs the whole
//! classroom.

mod common;

use common::*;
use test_support::classroom::Classroom;

const CLASSROOM: Classroom = Classroom {
    requests: if cfg!(debug_assertions) {
        20
    } else {
        Classroom::ISSUE_17.requests
    },
    ..Classroom::ISSUE_17
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_pages_each_see_exactly_their_own_under_load() {
    let mut args = Classroom::server_flags();
    args.extend(["--secret-key".to_string(), KEY.to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(&args);
    let addr = server.addr.parse().unwrap();
    let run = CLASSROOM.run(addr, server.pid()).await.unwrap();

    eprintln!(
        "classroom load: {} requests from {} clients; no page {:.0} req/s ({:.1} us server CPU \
         each), {} pages {:.0} req/s ({:.0}%; {:.1} us server CPU each, the reports included), \
         {} reports delivered",
        run.requests,
        CLASSROOM.clients,
        run.alone_rps(),
        run.alone_cpu_us(),
        run.pages,
        run.watched_rps(),
        100.0 * run.ratio(),
        run.watched_cpu_us(),
        run.delivered,
    );
    assert!(run.failures.is_empty(), "{}", run.failures.join("\n"));
    assert_eq!(
        run.delivered,
        CLASSROOM.clients * (CLASSROOM.requests + CLASSROOM.requests / 2)
    );
    assert_eq!(run.delivered, run.expected);
    assert!(
        run.watched_cpu_us() <= 4.0 * run.alone_cpu_us().max(5.0),
        "with {} pages {:.1} us of server CPU per request, alone {:.1} us",
        run.pages,
        run.watched_cpu_us(),
        run.alone_cpu_us()
    );
}
