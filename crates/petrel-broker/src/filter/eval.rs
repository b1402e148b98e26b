//! Evaluating a parsed SQL92 filter against one message, with SQL's three-valued logic: a
//! missing property is NULL, anything compared with NULL is unknown, and only a message for
//! which the whole expression is TRUE passes (RocketMQ's semantics).
//!
//! Property values are strings. Compared with a number (or by `>`, `<`, `BETWEEN`) a value is
//! read as an integer or a decimal; one that is not a number makes the comparison unknown.
//! Compared with TRUE or FALSE it is read as `true`/`false` (any case).

use std::cmp::Ordering;

use crate::filter::sql::{CmpOp, Expr, Operand, StrOp, Value};

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn negate_if(self, negated: bool) -> Truth {
        if negated { self.not() } else { self }
    }
}

/// What the expression may look up: message properties by name.
pub(crate) trait Properties {
    fn get(&self, name: &str) -> Option<&str>;
}

/// A resolved operand.
enum Val<'a> {
    Str(&'a str),
    Lit(&'a Value),
}

fn resolve<'a>(o: &'a Operand, props: &'a dyn Properties) -> Option<Val<'a>> {
    match o {
        Operand::Property(name) => props.get(name).map(Val::Str),
        Operand::Literal(Value::Null) => None,
        Operand::Literal(v) => Some(Val::Lit(v)),
    }
}

#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

fn parse_num(s: &str) -> Option<Num> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Num::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Num::Float)
}

fn num(v: &Val<'_>) -> Option<Num> {
    match v {
        Val::Str(s) => parse_num(s),
        Val::Lit(Value::Int(i)) => Some(Num::Int(*i)),
        Val::Lit(Value::Float(x)) => Some(Num::Float(*x)),
        Val::Lit(Value::Str(s)) => parse_num(s),
        Val::Lit(Value::Bool(_) | Value::Null) => None,
    }
}

fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (x, y) => {
            let f = |n: Num| match n {
                Num::Int(i) => i as f64,
                Num::Float(f) => f,
            };
            f(x).partial_cmp(&f(y))
        }
    }
}

fn boolean(v: &Val<'_>) -> Option<bool> {
    match v {
        Val::Lit(Value::Bool(b)) => Some(*b),
        Val::Str(_) | Val::Lit(Value::Str(_)) => {
            let s = text(v)?;
            if s.eq_ignore_ascii_case("true") {
                Some(true)
            } else if s.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn text<'a>(v: &'a Val<'a>) -> Option<&'a str> {
    match v {
        Val::Str(s) => Some(s),
        Val::Lit(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn is_num_lit(v: &Val<'_>) -> bool {
    matches!(v, Val::Lit(Value::Int(_) | Value::Float(_)))
}

fn compare(l: &Val<'_>, op: CmpOp, r: &Val<'_>) -> Truth {
    let ord = if is_num_lit(l) || is_num_lit(r) || !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        match (num(l), num(r)) {
            (Some(a), Some(b)) => cmp_num(a, b),
            _ => None,
        }
    } else if matches!(l, Val::Lit(Value::Bool(_))) || matches!(r, Val::Lit(Value::Bool(_))) {
        match (boolean(l), boolean(r)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    } else {
        match (text(l), text(r)) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => None,
        }
    };
    let Some(ord) = ord else {
        return Truth::Unknown;
    };
    Truth::of(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
    })
}

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one; `escape` makes the next
/// character literal.
pub(crate) fn like(s: &str, pattern: &str, escape: Option<char>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut pat = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        if Some(c) == escape {
            pat.push(P::Lit(it.next().unwrap_or(c)));
        } else if c == '%' {
            if pat.last() != Some(&P::Any) {
                pat.push(P::Any);
            }
        } else if c == '_' {
            pat.push(P::One);
        } else {
            pat.push(P::Lit(c));
        }
    }
    let s: Vec<char> = s.chars().collect();
    // Greedy matching with backtracking to the last `%`: linear in practice, never exponential.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(j) {
            Some(P::One) => {
                i += 1;
                j += 1;
            }
            Some(P::Lit(c)) if *c == s[i] => {
                i += 1;
                j += 1;
            }
            Some(P::Any) => {
                star = Some((j, i));
                j += 1;
            }
            _ => match star {
                Some((sj, si)) => {
                    j = sj + 1;
                    i = si + 1;
                    star = Some((sj, si + 1));
                }
                None => return false,
            },
        }
    }
    pat[j..].iter().all(|p| *p == P::Any)
}

fn eval_truth(e: &Expr, props: &dyn Properties) -> Truth {
    match e {
        Expr::Or(a, b) => match (eval_truth(a, props), eval_truth(b, props)) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        },
        Expr::And(a, b) => match (eval_truth(a, props), eval_truth(b, props)) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        },
        Expr::Not(a) => eval_truth(a, props).not(),
        Expr::Const(b) => Truth::of(*b),
        Expr::Cmp(l, op, r) => match (resolve(l, props), resolve(r, props)) {
            (Some(l), Some(r)) => compare(&l, *op, &r),
            _ => Truth::Unknown,
        },
        Expr::Between {
            operand,
            low,
            high,
            negated,
        } => {
            let (Some(v), Some(lo), Some(hi)) = (
                resolve(operand, props),
                resolve(low, props),
                resolve(high, props),
            ) else {
                return Truth::Unknown;
            };
            match (compare(&v, CmpOp::Ge, &lo), compare(&v, CmpOp::Le, &hi)) {
                (Truth::True, Truth::True) => Truth::True,
                (Truth::Unknown, _) | (_, Truth::Unknown) => Truth::Unknown,
                _ => Truth::False,
            }
            .negate_if(*negated)
        }
        Expr::In {
            operand,
            list,
            negated,
        } => match resolve(operand, props).as_ref().and_then(|v| text(v)) {
            Some(s) => Truth::of(list.iter().any(|x| x == s)).negate_if(*negated),
            None => Truth::Unknown,
        },
        Expr::IsNull { operand, negated } => {
            Truth::of(resolve(operand, props).is_none()).negate_if(*negated)
        }
        Expr::Like {
            operand,
            pattern,
            escape,
            negated,
        } => match resolve(operand, props).as_ref().and_then(|v| text(v)) {
            Some(s) => Truth::of(like(s, pattern, *escape)).negate_if(*negated),
            None => Truth::Unknown,
        },
        Expr::Str {
            operand,
            op,
            arg,
            negated,
        } => match resolve(operand, props).as_ref().and_then(|v| text(v)) {
            Some(s) => Truth::of(match op {
                StrOp::Contains => s.contains(arg.as_str()),
                StrOp::StartsWith => s.starts_with(arg.as_str()),
                StrOp::EndsWith => s.ends_with(arg.as_str()),
            })
            .negate_if(*negated),
            None => Truth::Unknown,
        },
    }
}

/// Whether a message with these properties passes the expression (TRUE; FALSE and unknown do
/// not).
pub(crate) fn matches(e: &Expr, props: &dyn Properties) -> bool {
    eval_truth(e, props) == Truth::True
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::sql::parse;

    struct Map(Vec<(&'static str, &'static str)>);

    impl Properties for Map {
        fn get(&self, name: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
    }

    fn check(src: &str, props: &[(&'static str, &'static str)]) -> bool {
        matches(&parse(src).unwrap(), &Map(props.to_vec()))
    }

    #[test]
    fn comparisons_follow_rocketmq_semantics() {
        let p = [("a", "5"), ("b", "x"), ("f", "2.5"), ("t", "TRUE")];
        assert!(check("a = 5", &p));
        assert!(check("a > 4 and a < 6 and a >= 5 and a <= 5", &p));
        assert!(check("a <> 6", &p));
        assert!(check("f > 2 and f < 3", &p));
        assert!(check("a between 1 and 5", &p));
        assert!(!check("a not between 1 and 5", &p));
        assert!(check("b = 'x' and b <> 'y'", &p));
        assert!(check("t = true", &p));
        assert!(check("a = '5'", &p), "string equality");
        // A value that is not a number: unknown, so neither `>` nor its negation passes.
        assert!(!check("b > 1", &p));
        assert!(!check("not (b > 1)", &p));
        assert!(check("a > -1", &p));
    }

    #[test]
    fn null_is_unknown_everywhere_but_is_null() {
        let p = [("a", "1")];
        assert!(check("missing is null", &p));
        assert!(check("a is not null", &p));
        assert!(!check("missing = 1", &p));
        assert!(!check("not (missing = 1)", &p));
        assert!(!check("missing in ('x')", &p));
        assert!(!check("missing not in ('x')", &p));
        assert!(check("missing = 1 or a = 1", &p));
        assert!(!check("missing = 1 and a = 1", &p));
        assert!(!check("a = null", &p));
    }

    #[test]
    fn in_like_and_string_tests() {
        let p = [("tag", "TagA"), ("name", "100%_sure")];
        assert!(check("tag in ('TagA', 'TagB')", &p));
        assert!(check("tag not in ('TagC')", &p));
        assert!(check("name like '100!%!_%' escape '!'", &p));
        assert!(check("name like '1_0%'", &p));
        assert!(!check("name like '1_0'", &p));
        assert!(check("name not like 'x%'", &p));
        assert!(check(
            "tag contains 'agA' and tag startswith 'Ta' and tag endswith 'A'",
            &p
        ));
        assert!(check("tag not contains 'z'", &p));
    }

    #[test]
    fn like_matches_without_blowing_up() {
        assert!(like("abc", "%", None));
        assert!(like("", "%", None));
        assert!(!like("", "_", None));
        assert!(like("aXbXc", "a%b%c", None));
        assert!(!like("ab", "a%b%c", None));
        let long = "a".repeat(10_000);
        assert!(!like(&long, "%a%a%a%a%a%b", None));
        assert!(like("é!", "_!", None));
    }
}
