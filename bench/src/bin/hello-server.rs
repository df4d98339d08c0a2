//! A minimal hyper "hello" server: the ceiling for an HTTP/1.1 server on this machine.
//!
//! ```text
//! hello-server [--port 0] [--bind 127.0.0.1]
//! ```
//! Prints `hello-server listening on http://ADDR:PORT`. Answers every request with 200 and
//! `Hello, world!`, keep-alive, on tokio's multi-threaded runtime (one worker per core), as
//! hyper's own hello example does.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpListener;

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let port: u16 = arg("--port").map(|p| p.parse()).transpose()?.unwrap_or(0);
    let bind: IpAddr = arg("--bind")
        .map(|b| b.parse())
        .transpose()?
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let listener = TcpListener::bind(SocketAddr::new(bind, port)).await?;
    println!(
        "hello-server listening on http://{}",
        listener.local_addr()?
    );
    std::io::stdout().flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
