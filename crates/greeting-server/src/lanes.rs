//! The connections' threads: one current-thread tokio runtime per core (a lane), each
//! connection served from its first byte to its last on one lane, taken in turn. A request's
//! wakeups then stay on the thread that reads and answers it.
//!
//! Kept by the rule: `GET /greeting` at 16 connections answers 20% more requests per second
//! than with every connection on tokio's multi-threaded runtime, whose workers wake and steal
//! from each other (bench/PROFILE-NOTES.md, Session 7).

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use tokio::net::TcpStream;
use tokio::runtime::{Builder, Handle};
use tokio::sync::watch;

/// The lanes; dropping them stops their threads (connections still open are dropped).
pub struct Lanes {
    lanes: Vec<(Handle, Option<JoinHandle<()>>)>,
    next: AtomicUsize,
    stop: watch::Sender<bool>,
}

impl Lanes {
    /// `count` lanes (at least one), each a thread running its own runtime.
    pub fn start(count: usize) -> io::Result<Lanes> {
        let (stop, stopped) = watch::channel(false);
        let mut lanes = Vec::new();
        for i in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let mut stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("greeting-server-lane-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                })?;
            lanes.push((handle, Some(thread)));
        }
        Ok(Lanes {
            lanes,
            next: AtomicUsize::new(0),
            stop,
        })
    }

    /// One lane a core.
    pub fn per_core() -> io::Result<Lanes> {
        Lanes::start(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Serves an accepted connection on the next lane: `serve` gets the stream registered with
    /// that lane's own reactor.
    pub fn serve<F, Fut>(&self, stream: TcpStream, serve: F) -> io::Result<()>
    where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stream = stream.into_std()?;
        let lane = self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        self.lanes[lane].0.spawn(async move {
            match TcpStream::from_std(stream) {
                Ok(stream) => serve(stream).await,
                Err(e) => tracing::warn!("cannot serve a connection: {e}"),
            }
        });
        Ok(())
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for (_, thread) in &mut self.lanes {
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Each connection is served on a lane's thread, the lanes in turn, and its socket works
    /// there; dropping the lanes ends their runtimes.
    #[tokio::test]
    async fn connections_go_to_the_lanes_in_turn_and_are_served_there() {
        let lanes = Lanes::start(2).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served_on = Arc::new(Mutex::new(Vec::new()));
        for n in 0..4u8 {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let served_on = served_on.clone();
            lanes
                .serve(stream, move |mut stream| async move {
                    let name = std::thread::current().name().map(String::from);
                    served_on.lock().unwrap().push(name);
                    let mut byte = [0u8];
                    stream.read_exact(&mut byte).await.unwrap();
                    stream.write_all(&[byte[0] + 1]).await.unwrap();
                })
                .unwrap();
            client.write_all(&[n]).await.unwrap();
            let mut answer = [0u8];
            client.read_exact(&mut answer).await.unwrap();
            assert_eq!(answer[0], n + 1);
        }
        let names: Vec<Option<String>> = served_on.lock().unwrap().clone();
        let lane = |i: usize| Some(format!("greeting-server-lane-{i}"));
        assert_eq!(names, [lane(0), lane(1), lane(0), lane(1)]);
        // Dropped, the lanes' runtimes are gone: nothing spawned there runs any more.
        let kept = lanes.lanes[0].0.clone();
        drop(lanes);
        assert!(kept.spawn(async { 1 }).await.is_err());
    }
}
