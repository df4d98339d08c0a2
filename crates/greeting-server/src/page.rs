//! The built page (`--static DIR`), served by tower-http: each file as the build wrote it, or
//! its precompressed twin (`foo.wasm.br`, `foo.wasm.gz` beside `foo.wasm`) when the client
//! accepts that encoding (nothing is compressed per request), with `Vary: Accept-Encoding`.
//!
//! Caching by name: Trunk's hashed assets (`sessions-playground-<hex>_bg.wasm`, `.js`,
//! `.css`) never change under their name, so they are `public, max-age=31536000, immutable`;
//! `index.html`, `/` and everything else is `no-cache` (the browser revalidates, so a new build
//! is seen at once). An unknown path without a file extension is the page (`index.html`); a
//! missing file is a 404.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::path::Path;
use tower::{service_fn, Layer, Service, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of a hashed asset.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else.
pub const NO_CACHE: &str = "no-cache";

/// The files of `dir` as one service (the router's fallback).
pub fn files(
    dir: &Path,
) -> impl Service<Request, Response = Response, Error = Infallible, Future = impl Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let unknown = service_fn(move |request: Request| {
        let index = index.clone();
        async move {
            let path = request.uri().path();
            if names_a_file(path) {
                let path = path.chars().take(200).collect();
                return Ok::<_, Infallible>(ApiError::NotFound { path }.into_response());
            }
            Ok(index.oneshot(request).await.into_response())
        }
    });
    let dir = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(unknown);
    from_fn(caching).layer(dir)
}

/// `Cache-Control` by name and `Vary: Accept-Encoding` on every answer.
async fn caching(request: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let fresh = response.status().is_success() || response.status().is_redirection();
    let cache = if hashed && fresh { IMMUTABLE } else { NO_CACHE };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// The last segment of `path` has a file extension (`/app.wasm`, not `/some/page`).
fn names_a_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.rfind('.')
        .is_some_and(|dot| dot > 0 && dot + 1 < name.len())
}

/// A file name Trunk gave a content hash: `NAME-<hex>` before the extension, with `_bg` after
/// the hash for the wasm (`sessions-playground-0123456789abcdef_bg.wasm`,
/// `sessions-playground-0123456789abcdef.js`, `style-0123456789abcdef.css`). Trunk writes its
/// 64-bit hash unpadded (`{:x}`), so 13 to 16 digits count (1 build in 16 has 15).
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let Some((stem, extension)) = name.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((base, hash)) => {
            !base.is_empty()
                && !extension.is_empty()
                && (13..=16).contains(&hash.len())
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        for hashed in [
            "/sessions-playground-0123456789abcdef_bg.wasm",
            "/sessions-playground-0123456789abcdef.js",
            "/style-fedcba9876543210.css",
            "/sessions-playground-0123456789abcdef_bg.wasm.br",
            "/sessions-playground-123456789abcdef.js",
        ] {
            assert!(is_hashed_asset(hashed), "{hashed}");
        }
        for plain in [
            "/",
            "/index.html",
            "/favicon.ico",
            "/sessions-playground_bg.wasm",
            "/sessions-playground-0123456789ab.js",
            "/my-cafe.css",
            "/sessions-playground-0123456789abcdefa.js",
            "/sessions-playground-0123456789abcdeg.js",
            "/-0123456789abcdef.js",
            "/sessions-playground-0123456789abcdef",
            "/some/page",
        ] {
            assert!(!is_hashed_asset(plain), "{plain}");
        }
    }

    #[test]
    fn file_names() {
        assert!(names_a_file("/app.wasm"));
        assert!(names_a_file("/assets/style.css"));
        assert!(!names_a_file("/"));
        assert!(!names_a_file("/some/page"));
        assert!(!names_a_file("/.hidden"));
        assert!(!names_a_file("/trailing."));
    }
}
