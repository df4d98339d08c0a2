//! Password checks take the same time wherever a wrong password differs, and whether or not the
//! user exists.
//!
//! A timing test on short passwords could never fail (an early-exit `==` on a few bytes costs
//! nanoseconds either way). So the stored password here is 64 KiB: compared with an early-exit
//! `==`, a guess wrong in its first byte returns at once while one wrong in its last byte reads
//! all 64 KiB, a ratio of a thousand or more. `Users::authenticate` digests the guess and
//! compares digests in constant time, so every guess of the same length costs the same. The
//! bound (fastest times within a factor of 2) is loose enough for a busy CI machine and tight enough to
//! catch any early exit; the second test shows that this very harness does catch one.

use greeting_core::Users;
use std::hint::black_box;
use std::time::{Duration, Instant};

const LEN: usize = 64 * 1024;
const ROUNDS: usize = 21;

/// The fastest of the rounds: noise (other threads, other processes) only ever adds time, so
/// the minimum is the steadiest measure of the work itself.
fn fastest(v: Vec<Duration>) -> Duration {
    v.into_iter().min().unwrap_or_default()
}

/// The two tests run one at a time, so that neither is the other's noise.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The fastest time of `authenticate(name, password)` for each case, measured interleaved.
fn medians(users: &Users, cases: &[(&str, &str)]) -> Vec<Duration> {
    let mut times = vec![Vec::new(); cases.len()];
    for _ in 0..ROUNDS {
        for (i, (name, password)) in cases.iter().enumerate() {
            let t = Instant::now();
            let found = users.authenticate(black_box(name), black_box(password));
            black_box(found);
            times[i].push(t.elapsed());
        }
    }
    times.into_iter().map(fastest).collect()
}

fn assert_close(label: &str, a: Duration, b: Duration) {
    let ratio = a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!("{label}: {a:?} vs {b:?} (ratio {ratio:.2})");
    assert!(
        (0.5..=2.0).contains(&ratio),
        "{label}: {a:?} vs {b:?} (ratio {ratio:.3}): the time depends on where the guess is wrong"
    );
}

#[test]
fn a_wrong_password_costs_the_same_wherever_it_differs() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let stored = "p".repeat(LEN);
    let users = Users::from_pairs([
        ("cobra", stored.as_str()),
        ("viper", "bite"),
        ("nagini", stored.as_str()),
    ])
    .unwrap();
    let wrong_first = format!("x{}", &stored[1..]);
    let wrong_last = format!("{}x", &stored[..LEN - 1]);
    assert!(users.authenticate("cobra", &stored).is_some());
    assert!(users.authenticate("cobra", &wrong_first).is_none());
    assert!(users.authenticate("cobra", &wrong_last).is_none());

    let m = medians(
        &users,
        &[
            ("cobra", wrong_first.as_str()),
            ("cobra", wrong_last.as_str()),
            ("cobra", stored.as_str()),
            ("nobody", wrong_last.as_str()),
            ("nagini", wrong_last.as_str()),
        ],
    );
    assert_close("wrong at the first byte vs at the last", m[0], m[1]);
    assert_close("wrong at the last byte vs right", m[1], m[2]);
    assert_close("an unknown user vs a known one", m[3], m[1]);
    assert_close("the first user vs a later one", m[1], m[4]);
}

/// The control: the same harness on an early-exit `==` sees the difference, so the test above
/// would catch an `authenticate` that compared passwords that way.
#[test]
fn the_harness_catches_an_early_exit_comparison() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let stored = "p".repeat(LEN);
    let wrong_first = format!("x{}", &stored[1..]);
    let wrong_last = format!("{}x", &stored[..LEN - 1]);
    let mut first = Vec::new();
    let mut last = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        black_box(black_box(stored.as_str()) == black_box(wrong_first.as_str()));
        first.push(t.elapsed());
        let t = Instant::now();
        black_box(black_box(stored.as_str()) == black_box(wrong_last.as_str()));
        last.push(t.elapsed());
    }
    let (first, last) = (fastest(first), fastest(last));
    let ratio = first.as_secs_f64() / last.as_secs_f64().max(1e-9);
    println!("early-exit ==: {first:?} vs {last:?} (ratio {ratio:.3})");
    assert!(ratio < 0.5, "{first:?} vs {last:?}");
}
