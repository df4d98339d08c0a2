//! Stopping a child process we started: SIGINT first (servers shut down cleanly on it), SIGKILL
//! when it has not exited after a grace period.

use std::process::Child;
use std::time::{Duration, Instant};

/// How long a child gets to exit after SIGINT before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// SIGINT to the child, SIGKILL after `grace`; reaps it either way.
pub fn stop_child(child: &mut Child, grace: Duration) {
    stop(child, child.id() as libc::pid_t, grace);
}

/// The same for a child spawned as the leader of its own process group
/// (`CommandExt::process_group(0)`): the signals go to the whole group, so what the child started
/// (cargo's test binaries, trunk's builds, chromedriver's browser) stops with it.
pub fn stop_process_group(child: &mut Child, grace: Duration) {
    stop(child, -(child.id() as libc::pid_t), grace);
}

/// The signals a caller may send to a whole process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Kill,
}

/// Send `signal` to the process group led by `leader` (a pid from `Child::id`).
pub fn signal_process_group(leader: u32, signal: Signal) {
    let signal = match signal {
        Signal::Interrupt => libc::SIGINT,
        Signal::Kill => libc::SIGKILL,
    };
    kill(-(leader as libc::pid_t), signal);
}

/// Whether a process of the group led by `leader` still runs (zombies count as gone), read from /proc.
pub fn process_group_alive(leader: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    let leader = leader.to_string();
    entries.flatten().any(|e| {
        std::fs::read_to_string(e.path().join("stat")).is_ok_and(|stat| {
            // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
            let mut fields = stat.rsplit(')').next().unwrap_or("").split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1);
            state != Some("Z") && pgrp == Some(leader.as_str())
        })
    })
}

/// A process's CPU time so far, (user, system), from /proc/PID/stat; None when unreadable.
pub fn cpu_times(pid: u32) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which ends with ')'): utime and stime are 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // USER_HZ is 100 on Linux.
    let ticks = |i: usize| {
        Some(Duration::from_millis(
            fields.get(i)?.parse::<u64>().ok()? * 10,
        ))
    };
    Some((ticks(11)?, ticks(12)?))
}

fn stop(child: &mut Child, target: libc::pid_t, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        if target < 0 {
            // The leader is gone; what it started may not be.
            kill(target, libc::SIGKILL);
        }
        return;
    }
    kill(target, libc::SIGINT);
    let started = Instant::now();
    while started.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            if target < 0 {
                kill(target, libc::SIGKILL);
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    kill(target, libc::SIGKILL);
    let _ = child.kill();
    let _ = child.wait();
}

fn kill(target: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory effects; the pid is a child we have not reaped yet (or its group).
    unsafe {
        libc::kill(target, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    #[test]
    fn a_busy_process_has_cpu_time_and_a_missing_one_none() {
        let total = || {
            let (user, system) = cpu_times(std::process::id()).unwrap();
            user + system
        };
        let before = total();
        let started = Instant::now();
        // Busy until the clock of this process moves by a few ticks (slowly on a loaded machine).
        while total() < before + Duration::from_millis(30) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no CPU time counted"
            );
        }
        assert_eq!(cpu_times(u32::MAX), None);
    }

    #[test]
    fn a_child_that_ignores_sigint_is_killed_after_the_grace() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' INT; sleep 30"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        stop_child(&mut child, Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_some());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn stopping_a_group_stops_the_grandchildren_too() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let grandchild: u32 = line.trim().parse().unwrap();
        let leader = child.id();
        assert!(process_group_alive(leader));
        stop_process_group(&mut child, Duration::from_secs(2));
        let started = Instant::now();
        while process_group_alive(leader) {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the grandchild {grandchild} survived"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
