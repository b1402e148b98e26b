//! The `Condition` element: the five operator families, their typed values, the request context
//! they read, and the AND/OR rules that combine them.
//!
//! Combination rules (RAM, same as AWS): every operator block must hold (AND); every key under an
//! operator must hold (AND); a key holds when any of its values matches (OR); a negated operator
//! (`StringNotEquals`, `NotIpAddress`, …) holds when *none* of its values matches (NOR). A key
//! missing from the context — or a context value that cannot be read as the operator's type —
//! matches no value: a positive operator is then false and a negated one true (the AWS reading;
//! RAM does not document it, and it keeps "Deny unless from the office network" safe when the
//! source address is unknown).
//!
//! Values are parsed into their types when the policy is parsed, so evaluation never parses a
//! policy value; the original spelling is kept for printing.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::glob::{Case, Glob};

/// A condition operator. Names are case-sensitive, as RAM documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // The variant names are the documented operator names.
pub enum ConditionOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
}

/// The comparison an operator makes, once negation is factored out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StrEq,
    StrEqIgnoreCase,
    StrLike,
    NumEq,
    NumLt,
    NumLe,
    NumGt,
    NumGe,
    DateEq,
    DateLt,
    DateLe,
    DateGt,
    DateGe,
    Bool,
    Ip,
}

use ConditionOperator as Op;

const OPERATORS: [(ConditionOperator, &str, Test, bool); 21] = [
    (Op::StringEquals, "StringEquals", Test::StrEq, false),
    (Op::StringNotEquals, "StringNotEquals", Test::StrEq, true),
    (
        Op::StringEqualsIgnoreCase,
        "StringEqualsIgnoreCase",
        Test::StrEqIgnoreCase,
        false,
    ),
    (
        Op::StringNotEqualsIgnoreCase,
        "StringNotEqualsIgnoreCase",
        Test::StrEqIgnoreCase,
        true,
    ),
    (Op::StringLike, "StringLike", Test::StrLike, false),
    (Op::StringNotLike, "StringNotLike", Test::StrLike, true),
    (Op::NumericEquals, "NumericEquals", Test::NumEq, false),
    (Op::NumericNotEquals, "NumericNotEquals", Test::NumEq, true),
    (Op::NumericLessThan, "NumericLessThan", Test::NumLt, false),
    (
        Op::NumericLessThanEquals,
        "NumericLessThanEquals",
        Test::NumLe,
        false,
    ),
    (
        Op::NumericGreaterThan,
        "NumericGreaterThan",
        Test::NumGt,
        false,
    ),
    (
        Op::NumericGreaterThanEquals,
        "NumericGreaterThanEquals",
        Test::NumGe,
        false,
    ),
    (Op::DateEquals, "DateEquals", Test::DateEq, false),
    (Op::DateNotEquals, "DateNotEquals", Test::DateEq, true),
    (Op::DateLessThan, "DateLessThan", Test::DateLt, false),
    (
        Op::DateLessThanEquals,
        "DateLessThanEquals",
        Test::DateLe,
        false,
    ),
    (Op::DateGreaterThan, "DateGreaterThan", Test::DateGt, false),
    (
        Op::DateGreaterThanEquals,
        "DateGreaterThanEquals",
        Test::DateGe,
        false,
    ),
    (Op::Bool, "Bool", Test::Bool, false),
    (Op::IpAddress, "IpAddress", Test::Ip, false),
    (Op::NotIpAddress, "NotIpAddress", Test::Ip, true),
];

impl ConditionOperator {
    /// Every operator, in documentation order.
    pub fn all() -> impl Iterator<Item = ConditionOperator> {
        OPERATORS.iter().map(|entry| entry.0)
    }

    /// Looks an operator up by its exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<ConditionOperator> {
        OPERATORS.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// Whether the operator is a negation (its values combine as NOR).
    pub fn is_negated(self) -> bool {
        self.entry().3
    }

    fn test(self) -> Test {
        self.entry().2
    }

    fn entry(self) -> &'static (ConditionOperator, &'static str, Test, bool) {
        // The table lists every variant in declaration order, so the discriminant is its index.
        &OPERATORS[self as usize]
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The global keys Petrel fills from the request; any other key is looked up in the context's
/// extra map. Keys compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyKind {
    SourceIp,
    CurrentTime,
    SecureTransport,
    MfaPresent,
    /// Lower-cased key name.
    Other(Box<str>),
}

impl KeyKind {
    fn of(key: &str) -> KeyKind {
        const BUILT_IN: [(&str, KeyKind); 4] = [
            ("acs:SourceIp", KeyKind::SourceIp),
            ("acs:CurrentTime", KeyKind::CurrentTime),
            ("acs:SecureTransport", KeyKind::SecureTransport),
            ("acs:MFAPresent", KeyKind::MfaPresent),
        ];
        BUILT_IN
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map_or_else(
                || KeyKind::Other(key.to_ascii_lowercase().into()),
                |(_, k)| k,
            )
    }
}

/// The facts about a request that conditions can test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// `acs:SourceIp`: the client's address, when known.
    pub source_ip: Option<IpAddr>,
    /// `acs:CurrentTime`: when the request was received.
    pub current_time: OffsetDateTime,
    /// `acs:SecureTransport`: whether the request came over TLS.
    pub secure_transport: bool,
    /// `acs:MFAPresent`: whether the session was opened with MFA (always false for AccessKeys).
    pub mfa_present: bool,
    /// Other keys (`ram:ServiceName`, …), lower-cased key → value.
    extra: Vec<(Box<str>, Box<str>)>,
}

impl Context {
    /// A context at `current_time` with no source address, plain transport and no MFA.
    pub fn new(current_time: OffsetDateTime) -> Self {
        Context {
            source_ip: None,
            current_time,
            secure_transport: false,
            mfa_present: false,
            extra: Vec::new(),
        }
    }

    /// Sets a service-specific key such as `ram:ServiceName`, replacing an earlier value. Keys
    /// compare case-insensitively; the four global keys are always read from the typed fields.
    pub fn insert(&mut self, key: &str, value: &str) {
        let key = key.to_ascii_lowercase();
        match self.extra.iter_mut().find(|(k, _)| **k == *key) {
            Some(entry) => entry.1 = value.into(),
            None => self.extra.push((key.into(), value.into())),
        }
    }

    /// Builder form of [`Context::insert`].
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.insert(key, value);
        self
    }

    /// The value of an extra key (case-insensitive), if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| &**v)
    }

    fn lookup(&self, key: &KeyKind) -> Option<Fact<'_>> {
        match key {
            KeyKind::SourceIp => self.source_ip.map(Fact::Ip),
            KeyKind::CurrentTime => Some(Fact::Time(self.current_time)),
            KeyKind::SecureTransport => Some(Fact::Bool(self.secure_transport)),
            KeyKind::MfaPresent => Some(Fact::Bool(self.mfa_present)),
            KeyKind::Other(k) => self
                .extra
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| Fact::Str(v)),
        }
    }
}

/// One context value, in the type it has in the request.
#[derive(Clone, Copy)]
enum Fact<'a> {
    Str(&'a str),
    Ip(IpAddr),
    Time(OffsetDateTime),
    Bool(bool),
}

impl Fact<'_> {
    fn as_str(&self) -> Cow<'_, str> {
        match self {
            Fact::Str(s) => Cow::Borrowed(s),
            Fact::Ip(ip) => Cow::Owned(ip.to_string()),
            Fact::Time(t) => Cow::Owned(t.format(&Rfc3339).unwrap_or_default()),
            Fact::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            Fact::Str(s) => parse_number(s),
            _ => None,
        }
    }

    fn as_time(&self) -> Option<OffsetDateTime> {
        match self {
            Fact::Time(t) => Some(*t),
            Fact::Str(s) => OffsetDateTime::parse(s, &Rfc3339).ok(),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Fact::Bool(b) => Some(*b),
            Fact::Str(s) => parse_bool(s),
            _ => None,
        }
    }

    fn as_ip(&self) -> Option<IpAddr> {
        match self {
            Fact::Ip(ip) => Some(*ip),
            Fact::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        // Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`; a policy author writes the
        // IPv4 form, so compare in IPv4 when the mapped form is seen.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The values of one key, parsed for the operator's family.
#[derive(Debug, Clone)]
enum Values {
    Str,
    Like(Vec<Glob>),
    Num(Vec<f64>),
    Date(Vec<OffsetDateTime>),
    Bool(Vec<bool>),
    Ip(Vec<IpNet>),
}

/// One `operator: { key: values }` entry of a `Condition` block.
#[derive(Debug, Clone)]
pub struct Condition {
    operator: ConditionOperator,
    key: String,
    kind: KeyKind,
    texts: Vec<String>,
    values: Values,
}

impl PartialEq for Condition {
    // The typed values are a function of the texts, so the texts decide equality.
    fn eq(&self, other: &Self) -> bool {
        self.operator == other.operator && self.key == other.key && self.texts == other.texts
    }
}

impl Condition {
    /// Parses the values of `key` for `operator`. The error is the problem, without the place;
    /// the policy parser adds the place.
    pub(crate) fn new(
        operator: ConditionOperator,
        key: &str,
        texts: Vec<String>,
    ) -> Result<Condition, String> {
        if texts.is_empty() {
            return Err(format!(
                "condition key `{key}` under `{operator}` needs at least one value"
            ));
        }
        let bad = |what: &str, text: &str| {
            Err(format!(
                "`{operator}` value `{}` for `{key}` is not {what}",
                crate::policy::snippet(text)
            ))
        };
        let values = match operator.test() {
            Test::StrEq | Test::StrEqIgnoreCase => Values::Str,
            Test::StrLike => Values::Like(
                texts
                    .iter()
                    .map(|t| Glob::new(t, Case::Sensitive))
                    .collect(),
            ),
            Test::NumEq | Test::NumLt | Test::NumLe | Test::NumGt | Test::NumGe => {
                let mut out = Vec::with_capacity(texts.len());
                for t in &texts {
                    match parse_number(t) {
                        Some(n) => out.push(n),
                        None => return bad("a number", t),
                    }
                }
                Values::Num(out)
            }
            Test::DateEq | Test::DateLt | Test::DateLe | Test::DateGt | Test::DateGe => {
                let mut out = Vec::with_capacity(texts.len());
                for t in &texts {
                    match OffsetDateTime::parse(t, &Rfc3339) {
                        Ok(d) => out.push(d),
                        Err(_) => {
                            return bad(
                                "an ISO 8601 date-time such as `2019-08-12T17:00:00+08:00`",
                                t,
                            );
                        }
                    }
                }
                Values::Date(out)
            }
            Test::Bool => {
                let mut out = Vec::with_capacity(texts.len());
                for t in &texts {
                    match parse_bool(t) {
                        Some(b) => out.push(b),
                        None => return bad("`true` or `false`", t),
                    }
                }
                Values::Bool(out)
            }
            Test::Ip => {
                let mut out = Vec::with_capacity(texts.len());
                for t in &texts {
                    match IpNet::parse(t) {
                        Some(n) => out.push(n),
                        None => return bad("an IPv4/IPv6 address or CIDR block", t),
                    }
                }
                Values::Ip(out)
            }
        };
        Ok(Condition {
            operator,
            kind: KeyKind::of(key),
            key: key.to_owned(),
            texts,
            values,
        })
    }

    /// `StringEquals` on `key`: cannot fail, for the built-in policies.
    pub(crate) fn string_equals(key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: ConditionOperator::StringEquals,
            kind: KeyKind::of(key),
            key: key.to_owned(),
            texts: values.iter().map(|v| (*v).to_owned()).collect(),
            values: Values::Str,
        }
    }

    /// The operator.
    pub fn operator(&self) -> ConditionOperator {
        self.operator
    }

    /// The condition key as written (`acs:SourceIp`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The values as written.
    pub fn values(&self) -> &[String] {
        &self.texts
    }

    /// Whether the condition holds in `ctx`.
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let any = ctx
            .lookup(&self.kind)
            .is_some_and(|fact| self.any_value_matches(fact));
        any != self.operator.is_negated()
    }

    fn any_value_matches(&self, fact: Fact<'_>) -> bool {
        let test = self.operator.test();
        match &self.values {
            Values::Str => {
                let s = fact.as_str();
                self.texts.iter().any(|v| match test {
                    Test::StrEqIgnoreCase => eq_ignore_case(v, &s),
                    _ => *v == *s,
                })
            }
            Values::Like(globs) => {
                let s = fact.as_str();
                globs.iter().any(|g| g.is_match(&s))
            }
            Values::Num(nums) => fact.as_number().is_some_and(|x| {
                nums.iter().any(|&v| match test {
                    Test::NumLt => x < v,
                    Test::NumLe => x <= v,
                    Test::NumGt => x > v,
                    Test::NumGe => x >= v,
                    _ => x == v,
                })
            }),
            Values::Date(dates) => fact.as_time().is_some_and(|x| {
                dates.iter().any(|&v| match test {
                    Test::DateLt => x < v,
                    Test::DateLe => x <= v,
                    Test::DateGt => x > v,
                    Test::DateGe => x >= v,
                    _ => x == v,
                })
            }),
            Values::Bool(bools) => fact.as_bool().is_some_and(|x| bools.contains(&x)),
            Values::Ip(nets) => fact
                .as_ip()
                .is_some_and(|ip| nets.iter().any(|n| n.contains(ip))),
        }
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Numbers are decimal literals; `NaN`, `inf` and friends, which `f64::from_str` accepts, are not.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let plausible = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    plausible
        .then(|| t.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cond(op: ConditionOperator, key: &str, values: &[&str]) -> Condition {
        Condition::new(op, key, values.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    fn ctx() -> Context {
        Context::new(datetime!(2026-01-01 12:00 UTC))
    }

    #[test]
    fn operator_table_is_in_declaration_order() {
        for (i, entry) in OPERATORS.iter().enumerate() {
            assert_eq!(entry.0 as usize, i, "{}", entry.1);
            assert_eq!(ConditionOperator::from_name(entry.1), Some(entry.0));
        }
        assert_eq!(ConditionOperator::from_name("stringequals"), None);
    }

    #[test]
    fn ip_networks_match_v4_v6_and_mapped_addresses() {
        let c = cond(
            Op::IpAddress,
            "acs:SourceIp",
            &["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"],
        );
        let mut x = ctx();
        for (ip, want) in [
            ("10.1.2.3", true),
            ("11.0.0.1", false),
            ("::ffff:10.9.9.9", true),
            ("2001:db8:1::1", true),
            ("2001:db9::1", false),
            ("192.168.1.7", true),
            ("192.168.1.8", false),
        ] {
            x.source_ip = Some(ip.parse().unwrap());
            assert_eq!(c.holds(&x), want, "{ip}");
        }
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("10.0.0.0/").is_none());
    }

    #[test]
    fn absent_keys_fail_positive_and_pass_negated_operators() {
        let x = ctx();
        assert!(!cond(Op::IpAddress, "acs:SourceIp", &["10.0.0.0/8"]).holds(&x));
        assert!(cond(Op::NotIpAddress, "acs:SourceIp", &["10.0.0.0/8"]).holds(&x));
        assert!(!cond(Op::StringEquals, "ram:ServiceName", &["a"]).holds(&x));
        assert!(cond(Op::StringNotEquals, "ram:ServiceName", &["a"]).holds(&x));
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let x = ctx().with("RAM:servicename", "ons.aliyuncs.com");
        assert!(cond(Op::StringEquals, "ram:ServiceName", &["ons.aliyuncs.com"]).holds(&x));
        assert!(cond(Op::Bool, "ACS:mfapresent", &["false"]).holds(&x));
    }

    #[test]
    fn numbers_and_dates_compare_by_value() {
        let x = ctx().with("mq:Size", "10");
        assert!(cond(Op::NumericLessThan, "mq:Size", &["10.5"]).holds(&x));
        assert!(cond(Op::NumericEquals, "mq:Size", &["1e1"]).holds(&x));
        assert!(!cond(Op::NumericGreaterThan, "mq:Size", &["10"]).holds(&x));
        assert!(
            cond(
                Op::DateLessThan,
                "acs:CurrentTime",
                &["2026-01-01T20:00:01+08:00"]
            )
            .holds(&x)
        );
        assert!(
            !cond(
                Op::DateLessThan,
                "acs:CurrentTime",
                &["2026-01-01T20:00:00+08:00"]
            )
            .holds(&x)
        );
        assert!(Condition::new(Op::NumericEquals, "k:k", vec!["NaN".into()]).is_err());
        assert!(Condition::new(Op::DateEquals, "k:k", vec!["yesterday".into()]).is_err());
    }
}
