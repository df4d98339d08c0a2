//! Server-Sent Events as the tests read them: a response body's bytes parsed into events by the
//! eventsource-stream crate (the WHATWG rules: `event:`/`data:` lines, comments, split UTF-8).

use eventsource_stream::Eventsource;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::fmt::Display;
use std::future::ready;
use std::time::Duration;

/// A side channel's events as `(name, data)`; an error ends the stream.
pub type Events = BoxStream<'static, (String, String)>;

/// The events of a body's byte stream (`reqwest::Response::bytes_stream`,
/// `http_body_util::BodyExt::into_data_stream`). A transport or parse error ends them.
pub fn events<S, B, E>(body: S) -> Events
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send,
    E: Display + Send,
{
    body.eventsource()
        .take_while(|event| ready(event.is_ok()))
        .filter_map(|event| ready(event.ok().map(|event| (event.event, event.data))))
        .boxed()
}

/// The next event, or None when `within` passes or the stream ends.
pub async fn next_event(events: &mut Events, within: Duration) -> Option<(String, String)> {
    tokio::time::timeout(within, events.next()).await.ok()?
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[tokio::test]
    async fn events_are_whole_across_chunks_comments_skipped_lines_joined() {
        let chunks = [
            ": keep-alive\n\nevent: hello\ndata: {\"token\":\"t\"}\n\nevent: exch",
            "ange\ndata: a\ndata: b\n\ndata: caf\u{e9}",
            "\n\n",
        ];
        let body = stream::iter(chunks.map(|c| Ok::<_, std::io::Error>(c.as_bytes().to_vec())));
        let mut events = events(body);
        let within = Duration::from_secs(1);
        assert_eq!(
            next_event(&mut events, within).await,
            Some(("hello".into(), "{\"token\":\"t\"}".into()))
        );
        assert_eq!(
            next_event(&mut events, within).await,
            Some(("exchange".into(), "a\nb".into()))
        );
        assert_eq!(
            next_event(&mut events, within).await,
            Some(("message".into(), "caf\u{e9}".into()))
        );
        assert_eq!(next_event(&mut events, within).await, None);
    }

    #[tokio::test]
    async fn a_split_character_is_joined_and_a_transport_error_ends_the_stream() {
        let e_acute = "\u{e9}".as_bytes();
        let body = stream::iter([
            Ok(b"data: caf".to_vec()),
            Ok(vec![e_acute[0]]),
            Ok(vec![e_acute[1], b'\n', b'\n']),
            Err(std::io::Error::other("reset")),
            Ok(b"data: never\n\n".to_vec()),
        ]);
        let mut events = events(body);
        let within = Duration::from_secs(1);
        assert_eq!(
            next_event(&mut events, within).await,
            Some(("message".into(), "caf\u{e9}".into()))
        );
        assert_eq!(next_event(&mut events, within).await, None);
    }
}
