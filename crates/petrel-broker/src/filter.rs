//! Subscription filters: RocketMQ tag expressions (`*`, `a`, `a||b`). SQL92 filters are parsed
//! by nobody yet and refused with `ILLEGAL_FILTER_EXPRESSION`, which the spec allows (§8).

use crate::error::{BrokerError, Result, quote};

/// Which messages a receive wants. Messages a group's filter rejects count as consumed for
/// that group (as in RocketMQ): a group's consumers are expected to share one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every message (`*` or an empty expression).
    All,
    /// Messages whose tag is one of these.
    Tags(Vec<String>),
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

    /// SQL92 filters are not supported yet: always `ILLEGAL_FILTER_EXPRESSION`.
    pub fn sql(expr: &str) -> Result<Filter> {
        Err(BrokerError::IllegalFilterExpression {
            expression: quote(expr),
            reason: "sql92 filters are not supported yet; use a tag expression".into(),
        })
    }

    /// Whether a message with this tag passes.
    pub fn matches(&self, tag: Option<&str>) -> bool {
        match self {
            Filter::All => true,
            Filter::Tags(tags) => tag.is_some_and(|t| tags.iter().any(|x| x == t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_expressions_parse_and_match() {
        assert_eq!(Filter::tag_expression("*").unwrap(), Filter::All);
        assert_eq!(Filter::tag_expression(" ").unwrap(), Filter::All);
        let f = Filter::tag_expression("a || b||c").unwrap();
        assert_eq!(f, Filter::Tags(vec!["a".into(), "b".into(), "c".into()]));
        assert!(f.matches(Some("b")));
        assert!(!f.matches(Some("d")));
        assert!(!f.matches(None));
        assert!(Filter::All.matches(None));
        assert_eq!(Filter::tag_expression("a||*").unwrap(), Filter::All);
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in ["||", "a|b", "a\u{1}"] {
            let e = Filter::tag_expression(bad).unwrap_err();
            assert_eq!(e.rocketmq_code(), 40010, "{bad}");
        }
        assert_eq!(Filter::sql("a > 1").unwrap_err().rocketmq_code(), 40010);
    }
}
