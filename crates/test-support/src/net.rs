//! Loopback ports: one nobody holds, and waiting for a server to listen on one.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A port nobody listens on right now (the OS picks it; it is let go again at once).
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether 127.0.0.1:`port` accepts a connection within `within` (polled every 50 ms).
pub fn wait_for_port(port: u16, within: Duration) -> bool {
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if started.elapsed() >= within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_port_can_be_bound_and_is_seen_once_listening() {
        let port = free_port().unwrap();
        assert!(!wait_for_port(port, Duration::ZERO));
        let _listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        assert!(wait_for_port(port, Duration::from_secs(2)));
    }
}
