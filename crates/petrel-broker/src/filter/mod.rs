//! Subscription filters: RocketMQ tag expressions (`*`, `a`, `a||b`) and SQL92 expressions on
//! message properties (`sql` parses, `eval` evaluates), both evaluated by the broker.
//!
//! A SQL expression sees the message's user properties by name, plus `TAGS` (the tag) and
//! `KEYS` (the keys, space-separated) as RocketMQ exposes them.

mod eval;
mod sql;

use std::sync::Arc;

use petrel_store::StoredMessage;

use crate::error::{BrokerError, Result, quote};
use crate::message::SYSTEM_PROPERTY_PREFIX;

/// A parsed SQL92 filter; two are equal when their source text is.
#[derive(Debug, Clone)]
pub struct SqlFilter {
    source: Arc<str>,
    expr: Arc<sql::Expr>,
}

impl SqlFilter {
    /// The expression as given.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl PartialEq for SqlFilter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for SqlFilter {}

/// The properties a SQL filter sees of one stored message.
struct MessageProps<'a> {
    m: &'a StoredMessage,
    keys: Option<String>,
}

impl eval::Properties for MessageProps<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        if name.starts_with(SYSTEM_PROPERTY_PREFIX) {
            return None;
        }
        match name {
            "TAGS" => self.m.tag.as_deref(),
            "KEYS" => self.keys.as_deref(),
            _ => self
                .m
                .properties
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str()),
        }
    }
}

/// Which messages a receive wants. Messages a group's filter rejects count as consumed for
/// that group (as in RocketMQ): a group's consumers are expected to share one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every message (`*` or an empty expression).
    All,
    /// Messages whose tag is one of these.
    Tags(Vec<String>),
    /// Messages for which this SQL92 expression is true.
    Sql(SqlFilter),
}

impl Filter {
    /// Parses a TAG expression: `*`, empty, or tags separated by `||` (spaces around tags are
    /// ignored; a `*` anywhere means all).
    pub fn tag_expression(expr: &str) -> Result<Filter> {
        let trimmed = expr.trim();
        if trimmed.is_empty() || trimmed == "*" {
            return Ok(Filter::All);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(BrokerError::IllegalFilterExpression {
                expression: quote(expr),
                reason: "must not contain control characters".into(),
            });
        }
        let mut tags = Vec::new();
        for part in trimmed.split("||") {
            let tag = part.trim();
            if tag == "*" {
                return Ok(Filter::All);
            }
            if tag.is_empty() {
                continue;
            }
            if tag.contains('|') {
                return Err(BrokerError::IllegalFilterExpression {
                    expression: quote(expr),
                    reason: "tags are separated by `||`".into(),
                });
            }
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        }
        if tags.is_empty() {
            return Err(BrokerError::IllegalFilterExpression {
                expression: quote(expr),
                reason: "names no tag".into(),
            });
        }
        Ok(Filter::Tags(tags))
    }

    /// Parses a SQL92 expression (see the `sql` module for the grammar). A malformed one is
    /// refused with `ILLEGAL_FILTER_EXPRESSION`, saying what is wrong and where.
    pub fn sql(expr: &str) -> Result<Filter> {
        match sql::parse(expr) {
            Ok(e) => Ok(Filter::Sql(SqlFilter {
                source: expr.into(),
                expr: Arc::new(e),
            })),
            Err(e) => Err(BrokerError::IllegalFilterExpression {
                expression: quote(expr),
                reason: e.to_string(),
            }),
        }
    }

    /// Whether a stored message passes.
    pub fn matches(&self, m: &StoredMessage) -> bool {
        match self {
            Filter::All => true,
            Filter::Tags(tags) => m
                .tag
                .as_deref()
                .is_some_and(|t| tags.iter().any(|x| x == t)),
            Filter::Sql(f) => {
                let keys = (!m.keys.is_empty()).then(|| m.keys.join(" "));
                eval::matches(&f.expr, &MessageProps { m, keys })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(tag: Option<&str>, props: &[(&str, &str)]) -> StoredMessage {
        StoredMessage {
            topic: "1/i/t".into(),
            queue_id: 0,
            queue_offset: 0,
            log_pos: 0,
            size: 0,
            msg_id: "id".into(),
            keys: vec!["k1".into(), "k2".into()],
            tag: tag.map(str::to_string),
            born_ms: 0,
            store_ms: 0,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: bytes::Bytes::from_static(b"x"),
        }
    }

    #[test]
    fn tag_expressions_parse_and_match() {
        assert_eq!(Filter::tag_expression("*").unwrap(), Filter::All);
        assert_eq!(Filter::tag_expression(" ").unwrap(), Filter::All);
        let f = Filter::tag_expression("a || b||c").unwrap();
        assert_eq!(f, Filter::Tags(vec!["a".into(), "b".into(), "c".into()]));
        assert!(f.matches(&stored(Some("b"), &[])));
        assert!(!f.matches(&stored(Some("d"), &[])));
        assert!(!f.matches(&stored(None, &[])));
        assert!(Filter::All.matches(&stored(None, &[])));
        assert_eq!(Filter::tag_expression("a||*").unwrap(), Filter::All);
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in ["||", "a|b", "a\u{1}"] {
            let e = Filter::tag_expression(bad).unwrap_err();
            assert_eq!(e.rocketmq_code(), 40010, "{bad}");
        }
        let e = Filter::sql("a > ").unwrap_err();
        assert_eq!(e.rocketmq_code(), 40010);
        assert!(e.to_string().contains("expected a property name"), "{e}");
    }

    #[test]
    fn sql_sees_user_properties_tags_and_keys_but_not_system_fields() {
        let m = stored(
            Some("TagA"),
            &[("__petrel.type", "NORMAL"), ("region", "eu"), ("n", "7")],
        );
        let yes = |e: &str| Filter::sql(e).unwrap().matches(&m);
        assert!(yes("region = 'eu' AND n BETWEEN 5 AND 10"));
        assert!(yes("TAGS IN ('TagA', 'TagB')"));
        assert!(yes("KEYS CONTAINS 'k2'"));
        assert!(yes("__petrel.type IS NULL"));
        assert!(!yes("region = 'us'"));
        assert_eq!(Filter::sql("n > 1").unwrap(), Filter::sql("n > 1").unwrap());
    }
}
