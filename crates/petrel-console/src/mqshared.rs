//! What the message-queue pages share: the broker handle (absent when the process runs no
//! broker), the broker's names for catalogue entries, times shown and typed in UTC, and
//! escaping of names placed in links.

use std::sync::Arc;

use petrel_broker::{Broker, BrokerError, GroupRef, TopicRef, TopicSpec};
use petrel_meta::Topic;
use time::OffsetDateTime;

use crate::App;
use crate::error::ConsoleError;

/// The broker, or the reason there is none.
pub fn broker(app: &App) -> Result<Arc<Broker>, ConsoleError> {
    app.broker
        .clone()
        .ok_or_else(|| ConsoleError::Broker("the broker is not running in this process".into()))
}

/// A broker failure as the console shows it.
pub fn broker_error(e: BrokerError) -> ConsoleError {
    ConsoleError::Broker(e.to_string())
}

/// The broker's name for a catalogue topic.
pub fn topic_ref(account: &str, instance: &str, topic: &Topic) -> Result<TopicRef, ConsoleError> {
    TopicRef::new(
        account,
        instance,
        &topic.name,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(broker_error)
}

/// The broker's name for a consumer group.
pub fn group_ref(account: &str, instance: &str, group: &str) -> Result<GroupRef, ConsoleError> {
    GroupRef::new(account, instance, group).map_err(broker_error)
}

/// Now, ms since the epoch.
pub fn now_ms() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// `2026-11-29 12:03:04.123 UTC`, or the raw number when it is out of range.
pub fn time_text(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3] UTC"
    );
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// The value of a `datetime-local` input for `ms` (UTC, to the second).
pub fn input_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// Parses a `datetime-local` value (`YYYY-MM-DDTHH:MM` with optional `:SS`), read as UTC, or
/// a `YYYY-MM-DD HH:MM:SS` text, into ms since the epoch.
pub fn parse_input_time(field: &'static str, v: &str) -> Result<i64, ConsoleError> {
    let v = v.trim().replace(' ', "T");
    let long = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let short = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(&v, long)
        .or_else(|_| time::PrimitiveDateTime::parse(&v, short))
        .map(|t| {
            i64::try_from(t.assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
        })
        .map_err(|_| ConsoleError::BadInput {
            field,
            reason: format!("`{v}` is not a date and time like 2026-01-31T08:30 (UTC)"),
        })
}

/// A duration in ms as people read it: `850 ms`, `12 s`, `3 min 5 s`, `2 h 1 min`, `3 d 4 h`.
pub fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

/// `v` escaped for a query value or a path segment.
pub fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_times_are_utc_and_round_trip() {
        let ms = parse_input_time("start", "2026-01-31T08:30").unwrap();
        assert_eq!(time_text(ms), "2026-01-31 08:30:00.000 UTC");
        assert_eq!(parse_input_time("start", &input_time(ms)).unwrap(), ms);
        assert_eq!(
            parse_input_time("start", "2026-01-31 08:30:15").unwrap(),
            ms + 15_000
        );
        let err = parse_input_time("start", "yesterday").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(850), "850 ms");
        assert_eq!(duration_text(12_000), "12 s");
        assert_eq!(duration_text(185_000), "3 min 5 s");
        assert_eq!(duration_text(7_260_000), "2 h 1 min");
        assert_eq!(enc("a b%/c"), "a+b%25%2Fc");
    }
}
