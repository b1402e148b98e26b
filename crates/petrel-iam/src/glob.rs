//! The `*` / `?` wildcard matcher shared by `Action`, `Resource` and `StringLike`.
//!
//! RAM wildcards have no escape and no character classes: `*` matches zero or more characters and
//! `?` exactly one. Patterns are classified once, when a policy is parsed, so that the common
//! shapes (`*`, an exact name, `prefix*`) never reach the general matcher; the general matcher is
//! iterative (no recursion, no regex) and allocation-free, so it is safe on the request path and
//! under fuzzing.

/// Whether letters are compared exactly or ASCII-case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// `acs:…` resources and `StringLike` values.
    Sensitive,
    /// Action names (`mq:PUB` = `mq:pub`).
    Insensitive,
}

/// A compiled wildcard pattern; keeps its original spelling for printing.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    pattern: Box<str>,
    shape: Shape,
    case: Case,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Only `*` characters (at least one): matches everything.
    Everything,
    /// No wildcard at all.
    Exact,
    /// A literal followed by `*` only.
    Prefix(usize),
    /// Anything else.
    General,
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern && self.case == other.case
    }
}

impl Eq for Glob {}

impl Glob {
    /// Compiles a pattern. Every string is a valid pattern, so this cannot fail.
    pub(crate) fn new(pattern: &str, case: Case) -> Self {
        let bytes = pattern.as_bytes();
        let shape = if !bytes.is_empty() && bytes.iter().all(|&b| b == b'*') {
            Shape::Everything
        } else if !bytes.iter().any(|&b| b == b'*' || b == b'?') {
            Shape::Exact
        } else {
            let literal = bytes
                .iter()
                .position(|&b| b == b'*' || b == b'?')
                .unwrap_or(bytes.len());
            if bytes[literal..].iter().all(|&b| b == b'*') {
                Shape::Prefix(literal)
            } else {
                Shape::General
            }
        };
        Glob {
            pattern: pattern.into(),
            shape,
            case,
        }
    }

    /// The pattern as written in the policy.
    pub(crate) fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches every string.
    pub(crate) fn matches_everything(&self) -> bool {
        self.shape == Shape::Everything
    }

    /// Whether `text` matches the whole pattern.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let p = self.pattern.as_bytes();
        let t = text.as_bytes();
        match self.shape {
            Shape::Everything => true,
            Shape::Exact => p.len() == t.len() && bytes_eq(p, t, self.case),
            Shape::Prefix(n) => {
                t.len() >= n && bytes_eq(&p[..n], &t[..n], self.case) && is_boundary(t, n)
            }
            Shape::General => general_match(p, t, self.case),
        }
    }
}

fn bytes_eq(a: &[u8], b: &[u8], case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(b),
    }
}

fn byte_eq(a: u8, b: u8, case: Case) -> bool {
    match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(&b),
    }
}

/// A prefix match must end on a character boundary; since the literal is itself valid UTF-8 and
/// equal bytes were compared, this only guards the ASCII-case-insensitive path.
fn is_boundary(t: &[u8], n: usize) -> bool {
    t.get(n).is_none_or(|&b| !is_continuation(b))
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Length in bytes of the UTF-8 character starting at `t[i]` (1 for a stray byte).
fn char_len(t: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < t.len() && is_continuation(t[j]) {
        j += 1;
    }
    j - i
}

/// The classic two-pointer wildcard match with a single backtrack point. `?` and the backtracking
/// of `*` step over whole UTF-8 characters, so `?` means one character, never one byte.
fn general_match(p: &[u8], t: &[u8], case: Case) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` seen in the pattern, and where its match ended in the text.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(t, ti);
            }
            Some(&c) if byte_eq(c, t[ti], case) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    let next = st + char_len(t, st);
                    star = Some((sp, next));
                    pi = sp;
                    ti = next;
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, Case::Sensitive).is_match(t)
    }

    #[test]
    fn shapes_match_like_the_general_matcher() {
        let cases = [
            ("*", "", true),
            ("*", "abc", true),
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("ab*", "ab", true),
            ("ab*", "abc", true),
            ("ab*", "a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b*", "xxbxxaxx", false),
            ("?", "é", true),
            ("??", "é", false),
            ("*??", "€", false),
            ("*??", "a€", true),
            ("instance/rmq-1*", "instance/rmq-1/topic/t", true),
            ("", "", true),
            ("", "a", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "pattern {p:?} text {t:?}");
            assert_eq!(
                general_match(p.as_bytes(), t.as_bytes(), Case::Sensitive),
                want
            );
        }
    }

    #[test]
    fn actions_ignore_ascii_case_resources_do_not() {
        assert!(Glob::new("mq:pub", Case::Insensitive).is_match("MQ:PUB"));
        assert!(Glob::new("rocketmq:get*", Case::Insensitive).is_match("rocketmq:GetTopic"));
        assert!(!Glob::new("acs:mq:*:*:Orders", Case::Sensitive).is_match("acs:mq:*:*:orders"));
    }
}
