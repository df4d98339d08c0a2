//! A fixture for `cargo xtask`'s own tests (xtask/src/testing.rs): a test whose peer is
//! missing, run with `--ignored` to check that it counts as skipped, and fails under CI=true.

#[test]
#[ignore = "a fixture: xtask's tests run it to check the skip counting"]
fn needs_a_peer_nobody_installed() {
    if test_support::which("no-such-peer-7f3a").is_none() {
        return test_support::skip("the peer `no-such-peer-7f3a` is not on PATH");
    }
    panic!("no-such-peer-7f3a exists after all");
}
