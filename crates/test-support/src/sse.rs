//! Reading Server-Sent Events (the side channel, `GET /playground/api/events`) out of the text a
//! stream has sent so far.

/// Takes the first complete event (`event:` and `data:` lines, ended by a blank line) off the
/// front of `buffer`, as (name, data); keep-alive comments are skipped. None while no whole event
/// has arrived.
pub fn take_event(buffer: &mut String) -> Option<(String, String)> {
    loop {
        let end = buffer.find("\n\n")?;
        let block: String = buffer.drain(..end + 2).collect();
        let mut name = String::from("message");
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
            }
        }
        if !data.is_empty() {
            return Some((name, data.join("\n")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_off_the_front_whole_and_comments_are_skipped() {
        let mut buffer =
            String::from(": keep-alive\n\nevent: hello\ndata: {\"token\":\"t\"}\n\nevent: exch");
        assert_eq!(
            take_event(&mut buffer),
            Some(("hello".into(), "{\"token\":\"t\"}".into()))
        );
        assert_eq!(take_event(&mut buffer), None);
        buffer.push_str("ange\ndata: a\ndata: b\n\n");
        assert_eq!(
            take_event(&mut buffer),
            Some(("exchange".into(), "a\nb".into()))
        );
        assert!(buffer.is_empty());
    }
}
