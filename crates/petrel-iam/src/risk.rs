//! High-risk classification: which policies need an explicit confirmation before they are
//! attached.
//!
//! Rule (ARCHITECTURE §3): a policy is high-risk when one of its `Allow` statements covers every
//! resource and, among its actions, covers
//! - every action (`*`), or
//! - every RAM action (`ram:*`: RAM administration lets the holder grant itself anything), or
//! - every action of one service (`mq:*`, `rocketmq:*`, …: "FullAccess" to that service), or
//! - everything except a list (`NotAction` with `Allow`).
//!
//! So AdministratorAccess, AliyunRAMFullAccess and AliyunMQFullAccess are high-risk; the
//! read-only and Pub/Sub-only policies are not. Conditions do not lower the risk: a condition
//! narrows when a grant applies, not what it grants. Deny statements never add risk.
//!
//! "Covers" is decided on the compiled wildcard, not on the spelling, so `r?m:*`, `*:*` and `**`
//! count too. A pattern matches `svc:` followed by anything iff it matches `svc:` followed by
//! `\u{1}` repeated L times for L = 1 ..= q+1 (action names are never empty) and for one L longer than the pattern (q = number of
//! `?` in it): `\u{1}` never occurs in a valid action, so only wildcards can absorb it, and once a
//! `*` absorbs the long run every longer run is absorbed too. Patterns with more than 32 `?` are
//! not analysed (they cannot describe a whole service in practice), and a pattern that demands a
//! minimum name length (`mq:??*`) is not whole-service: it leaves out some possible names.

use std::fmt;

use crate::glob::Glob;
use crate::policy::{Effect, PolicyDocument};

/// Services whose whole-service wildcard is checked even when the pattern spells the service
/// with wildcards (`r*:*`).
const WELL_KNOWN_SERVICES: [&str; 4] = ["ram", "mq", "rocketmq", "mq-as"];

const MAX_QUESTION_MARKS: usize = 32;
const FILLER: char = '\u{1}';

/// Whether a policy needs an explicit confirmation before it is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Risk {
    /// Nothing in the policy is high-risk.
    Normal,
    /// At least one statement grants administrator-like access.
    HighRisk {
        /// One sentence per offending statement, e.g.
        /// "statement 1 allows every action (`*`) on every resource".
        reasons: Vec<String>,
    },
}

impl Risk {
    /// Whether the policy is high-risk.
    pub fn is_high(&self) -> bool {
        matches!(self, Risk::HighRisk { .. })
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Risk::Normal => f.write_str("normal"),
            Risk::HighRisk { reasons } => write!(f, "high-risk: {}", reasons.join("; ")),
        }
    }
}

/// Classifies a document (system or custom).
pub fn classify(doc: &PolicyDocument) -> Risk {
    let mut reasons = Vec::new();
    for (i, st) in doc.statements().iter().enumerate() {
        if st.effect() != Effect::Allow
            || !st
                .resource_patterns()
                .iter()
                .any(|r| r.matches_everything())
        {
            continue;
        }
        let n = i + 1;
        if st.is_not_action() {
            reasons.push(format!(
                "statement {n} allows every action except those in `NotAction` on every resource"
            ));
            continue;
        }
        if let Some(reason) = st.action_globs().iter().filter_map(assess).min() {
            reasons.push(reason.sentence(n));
        }
    }
    if reasons.is_empty() {
        Risk::Normal
    } else {
        Risk::HighRisk { reasons }
    }
}

/// What one action pattern covers, most severe first (so `min` picks the worst).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    Everything(String),
    Ram(String),
    Service(String, String),
}

impl Coverage {
    fn sentence(&self, n: usize) -> String {
        match self {
            Coverage::Everything(p) => {
                format!("statement {n} allows every action (`{p}`) on every resource")
            }
            Coverage::Ram(p) => format!(
                "statement {n} allows every RAM action (`{p}`) on every resource, which lets the holder grant itself any permission"
            ),
            Coverage::Service(svc, p) => {
                format!("statement {n} allows every `{svc}` action (`{p}`) on every resource")
            }
        }
    }
}

fn assess(glob: &Glob) -> Option<Coverage> {
    let pattern = glob.as_str();
    let q = pattern.matches('?').count();
    if q > MAX_QUESTION_MARKS {
        return None;
    }
    let long = pattern.chars().count() + 1;
    let filler = |n: usize| std::iter::repeat_n(FILLER, n).collect::<String>();
    // Any service name: spelled with filler characters only, so only wildcards can match it.
    let every_service = (1..=q + 1)
        .chain([long])
        .all(|k| covers_service(glob, &filler(k), q, long));
    if every_service {
        return Some(Coverage::Everything(pattern.to_owned()));
    }
    if covers_service(glob, "ram", q, long) {
        return Some(Coverage::Ram(pattern.to_owned()));
    }
    let literal_service = pattern
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['*', '?']))
        .map(str::to_ascii_lowercase);
    literal_service
        .into_iter()
        .chain(WELL_KNOWN_SERVICES.iter().map(|s| (*s).to_owned()))
        .find(|svc| covers_service(glob, svc, q, long))
        .map(|svc| Coverage::Service(svc, pattern.to_owned()))
}

fn covers_service(glob: &Glob, service: &str, q: usize, long: usize) -> bool {
    let mut text = String::with_capacity(service.len() + 1 + long);
    // Action names are never empty, so the run starts at one character: `mq:?*` is `mq:*`.
    (1..=q + 1).chain([long]).all(|len| {
        text.clear();
        text.push_str(service);
        text.push(':');
        text.extend(std::iter::repeat_n(FILLER, len));
        glob.is_match(&text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::Case;

    fn of(p: &str) -> Option<Coverage> {
        assess(&Glob::new(p, Case::Insensitive))
    }

    #[test]
    fn wildcards_are_judged_by_what_they_match() {
        assert!(matches!(of("*"), Some(Coverage::Everything(_))));
        assert!(matches!(of("*:*"), Some(Coverage::Everything(_))));
        assert!(matches!(of("**"), Some(Coverage::Everything(_))));
        assert!(matches!(of("ram:*"), Some(Coverage::Ram(_))));
        assert!(matches!(of("RAM:*"), Some(Coverage::Ram(_))));
        assert!(matches!(of("r?m:*"), Some(Coverage::Ram(_))));
        assert_eq!(
            of("mq:*"),
            Some(Coverage::Service("mq".into(), "mq:*".into()))
        );
        assert_eq!(
            of("rocket*:*"),
            Some(Coverage::Service("rocketmq".into(), "rocket*:*".into()))
        );
        assert_eq!(of("mq:PUB"), None);
        assert_eq!(of("ram:Get*"), None);
        assert!(matches!(of("mq:?*"), Some(Coverage::Service(..))));
        assert!(matches!(of("mq:*?"), Some(Coverage::Service(..))));
        assert_eq!(of("mq:??*"), None);
        assert_eq!(of("mq:P*"), None);
    }
}
