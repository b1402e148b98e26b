//! The SQL92 filter language of RocketMQ: tokens, the syntax tree and a recursive-descent
//! parser with errors that say what was expected where.
//!
//! Grammar (keywords case-insensitive; precedence from loosest: `OR`, `AND`, `NOT`, then the
//! predicates — `NOT a = 1` means `NOT (a = 1)`, as in SQL):
//!
//! ```text
//! expr      := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT not | predicate
//! predicate := '(' expr ')' | TRUE | FALSE
//!            | operand ('=' | '<>' | '!=' | '>' | '>=' | '<' | '<=') operand
//!            | operand [NOT] BETWEEN operand AND operand
//!            | operand [NOT] IN '(' string (',' string)* ')'
//!            | operand IS [NOT] NULL
//!            | operand [NOT] LIKE string [ESCAPE string]
//!            | operand [NOT] (CONTAINS | STARTSWITH | ENDSWITH) string
//! operand   := identifier | string | ['-'] number | TRUE | FALSE | NULL
//! ```
//!
//! Strings are single-quoted (`''` is a quote); numbers are integers or decimals with an
//! optional exponent; identifiers are `[A-Za-z_$][A-Za-z0-9_$.]*` and name message properties.

use std::fmt;

/// Longest expression accepted, in bytes.
pub(crate) const MAX_LEN: usize = 4096;
/// Deepest nesting accepted (bounds the parser's recursion).
const MAX_DEPTH: usize = 64;

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

/// Something compared: a message property or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Property(String),
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// The syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Const(bool),
    Cmp(Operand, CmpOp, Operand),
    Between {
        operand: Operand,
        low: Operand,
        high: Operand,
        negated: bool,
    },
    In {
        operand: Operand,
        list: Vec<String>,
        negated: bool,
    },
    IsNull {
        operand: Operand,
        negated: bool,
    },
    Like {
        operand: Operand,
        pattern: String,
        escape: Option<char>,
        negated: bool,
    },
    Str {
        operand: Operand,
        op: StrOp,
        arg: String,
        negated: bool,
    },
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Character position (0-based) where the problem is.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.message, self.at + 1)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(Value),
    Sym(&'static str),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Num(Value::Int(i)) => format!("number {i}"),
            Tok::Num(Value::Float(x)) => format!("number {x}"),
            Tok::Num(_) => "a number".to_string(),
            Tok::Sym(s) => format!("`{s}`"),
            Tok::End => "the end of the expression".to_string(),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "ESCAPE",
    "TRUE",
    "FALSE",
    "CONTAINS",
    "STARTSWITH",
    "ENDSWITH",
];

fn err(at: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        at,
        message: message.into(),
    }
}

/// Splits `src` into (token, character position) pairs.
fn lex(src: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '$' | '.'))
            {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), start));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (tok, end) = number(&chars, i)?;
            out.push((tok, start));
            i = end;
            continue;
        }
        if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "unterminated string")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), start));
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let sym = match two.as_str() {
            "<>" => Some("<>"),
            "!=" => Some("!="),
            ">=" => Some(">="),
            "<=" => Some("<="),
            _ => None,
        };
        if let Some(s) = sym {
            out.push((Tok::Sym(s), start));
            i += 2;
            continue;
        }
        let sym = match c {
            '=' => "=",
            '>' => ">",
            '<' => "<",
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '-' => "-",
            '+' | '*' | '/' | '%' => {
                return Err(err(
                    start,
                    format!("arithmetic (`{c}`) is not supported in filters"),
                ));
            }
            '"' => {
                return Err(err(start, "strings are quoted with ' (single quotes)"));
            }
            _ => return Err(err(start, format!("unexpected character `{c}`"))),
        };
        out.push((Tok::Sym(sym), start));
        i += 1;
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

fn number(chars: &[char], start: usize) -> Result<(Tok, usize), SyntaxError> {
    let mut i = start;
    let digits = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    digits(&mut i);
    let mut float = false;
    if i < chars.len() && chars[i] == '.' {
        float = true;
        i += 1;
        digits(&mut i);
    }
    if i < chars.len() && matches!(chars[i], 'e' | 'E') {
        let mut j = i + 1;
        if j < chars.len() && matches!(chars[j], '+' | '-') {
            j += 1;
        }
        if j < chars.len() && chars[j].is_ascii_digit() {
            float = true;
            i = j;
            digits(&mut i);
        }
    }
    if i < chars.len() && (chars[i].is_ascii_alphabetic() || chars[i] == '_') {
        return Err(err(i, "a number must not run into letters"));
    }
    let text: String = chars[start..i].iter().collect();
    let value = if float {
        text.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Value::Float)
    } else {
        text.parse::<i64>().ok().map(Value::Int)
    };
    match value {
        Some(v) => Ok((Tok::Num(v), i)),
        None => Err(err(start, format!("number {text} is out of range"))),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(s) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expected(&self, what: &str) -> SyntaxError {
        err(
            self.at(),
            format!("expected {what}, found {}", self.peek().describe()),
        )
    }

    fn nest(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                self.at(),
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.nest()?;
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat_kw("NOT") {
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat_sym("(") {
            let inner = self.expr()?;
            if !self.eat_sym(")") {
                return Err(self.expected("`)`"));
            }
            return Ok(inner);
        }
        let start = self.at();
        let left = self.operand()?;
        let negated = self.eat_kw("NOT");
        let tok = self.peek().clone();
        let cmp = match &tok {
            Tok::Sym("=") => Some(CmpOp::Eq),
            Tok::Sym("<>") | Tok::Sym("!=") => Some(CmpOp::Ne),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Ge),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Le),
            _ => None,
        };
        if let Some(op) = cmp {
            if negated {
                return Err(self.expected("BETWEEN, IN, LIKE, CONTAINS, STARTSWITH or ENDSWITH"));
            }
            self.bump();
            let right = self.operand()?;
            if matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le) {
                for o in [&left, &right] {
                    if let Operand::Literal(Value::Str(_) | Value::Bool(_) | Value::Null) = o {
                        return Err(err(start, "`>`, `>=`, `<` and `<=` compare numbers only"));
                    }
                }
            }
            return Ok(Expr::Cmp(left, op, right));
        }
        if self.eat_kw("BETWEEN") {
            let low = self.operand()?;
            if !self.eat_kw("AND") {
                return Err(self.expected("AND of BETWEEN … AND …"));
            }
            let high = self.operand()?;
            for o in [&low, &high] {
                if !matches!(o, Operand::Literal(Value::Int(_) | Value::Float(_))) {
                    return Err(err(start, "BETWEEN takes two numbers"));
                }
            }
            return Ok(Expr::Between {
                operand: left,
                low,
                high,
                negated,
            });
        }
        if self.eat_kw("IN") {
            if !self.eat_sym("(") {
                return Err(self.expected("`(` after IN"));
            }
            let mut list = Vec::new();
            loop {
                match self.bump() {
                    Tok::Str(s) => list.push(s),
                    _ => {
                        self.pos -= 1;
                        return Err(self.expected("a quoted string in the IN list"));
                    }
                }
                if self.eat_sym(",") {
                    continue;
                }
                if self.eat_sym(")") {
                    break;
                }
                return Err(self.expected("`,` or `)` in the IN list"));
            }
            return Ok(Expr::In {
                operand: left,
                list,
                negated,
            });
        }
        if self.eat_kw("LIKE") {
            let pattern = self.string("a quoted pattern after LIKE")?;
            let escape = if self.eat_kw("ESCAPE") {
                let at = self.at();
                let e = self.string("a quoted character after ESCAPE")?;
                let mut chars = e.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => return Err(err(at, "ESCAPE takes exactly one character")),
                }
            } else {
                None
            };
            return Ok(Expr::Like {
                operand: left,
                pattern,
                escape,
                negated,
            });
        }
        for (kw, op) in [
            ("CONTAINS", StrOp::Contains),
            ("STARTSWITH", StrOp::StartsWith),
            ("ENDSWITH", StrOp::EndsWith),
        ] {
            if self.eat_kw(kw) {
                let arg = self.string(&format!("a quoted string after {kw}"))?;
                return Ok(Expr::Str {
                    operand: left,
                    op,
                    arg,
                    negated,
                });
            }
        }
        if self.eat_kw("IS") {
            if negated {
                return Err(err(start, "write `IS NOT NULL`, not `NOT IS NULL`"));
            }
            let negated = self.eat_kw("NOT");
            if !self.eat_kw("NULL") {
                return Err(self.expected("NULL after IS"));
            }
            return Ok(Expr::IsNull {
                operand: left,
                negated,
            });
        }
        if !negated && let Operand::Literal(Value::Bool(b)) = left {
            return Ok(Expr::Const(b));
        }
        Err(self.expected(
            "a comparison (=, <>, >, >=, <, <=, BETWEEN, IN, IS NULL, LIKE, CONTAINS, STARTSWITH, \
             ENDSWITH)",
        ))
    }

    fn string(&mut self, what: &str) -> Result<String, SyntaxError> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn operand(&mut self) -> Result<Operand, SyntaxError> {
        let tok = self.peek().clone();
        let operand = match tok {
            Tok::Str(s) => Operand::Literal(Value::Str(s)),
            Tok::Num(v) => Operand::Literal(v),
            Tok::Sym("-") => {
                self.bump();
                return match self.bump() {
                    Tok::Num(Value::Int(i)) => Ok(Operand::Literal(Value::Int(-i))),
                    Tok::Num(Value::Float(x)) => Ok(Operand::Literal(Value::Float(-x))),
                    _ => {
                        self.pos -= 1;
                        Err(self.expected("a number after `-`"))
                    }
                };
            }
            Tok::Ident(s) if s.eq_ignore_ascii_case("TRUE") => Operand::Literal(Value::Bool(true)),
            Tok::Ident(s) if s.eq_ignore_ascii_case("FALSE") => {
                Operand::Literal(Value::Bool(false))
            }
            Tok::Ident(s) if s.eq_ignore_ascii_case("NULL") => Operand::Literal(Value::Null),
            Tok::Ident(s) if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&s)) => {
                return Err(self.expected("a property name or a value"));
            }
            Tok::Ident(s) => Operand::Property(s),
            _ => return Err(self.expected("a property name or a value")),
        };
        self.bump();
        Ok(operand)
    }
}

/// Parses a filter expression.
pub(crate) fn parse(src: &str) -> Result<Expr, SyntaxError> {
    if src.len() > MAX_LEN {
        return Err(err(
            0,
            format!("expression is {} bytes, at most {MAX_LEN}", src.len()),
        ));
    }
    if src.trim().is_empty() {
        return Err(err(0, "expression is empty"));
    }
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if *p.peek() != Tok::End {
        return Err(p.expected("AND, OR or the end of the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(s: &str) -> Operand {
        Operand::Property(s.into())
    }

    #[test]
    fn parses_the_rocketmq_forms() {
        assert_eq!(
            parse("a > 5 AND NOT b = 'x' or c is not null").unwrap(),
            Expr::Or(
                Box::new(Expr::And(
                    Box::new(Expr::Cmp(
                        prop("a"),
                        CmpOp::Gt,
                        Operand::Literal(Value::Int(5))
                    )),
                    Box::new(Expr::Not(Box::new(Expr::Cmp(
                        prop("b"),
                        CmpOp::Eq,
                        Operand::Literal(Value::Str("x".into()))
                    )))),
                )),
                Box::new(Expr::IsNull {
                    operand: prop("c"),
                    negated: true
                }),
            )
        );
        assert!(matches!(
            parse("x not between -1.5 and 2e3").unwrap(),
            Expr::Between { negated: true, .. }
        ));
        assert!(matches!(
            parse("TAGS in ('a', 'it''s')").unwrap(),
            Expr::In { list, .. } if list == vec!["a".to_string(), "it's".to_string()]
        ));
        assert!(matches!(
            parse("name LIKE 'a!%%' ESCAPE '!'").unwrap(),
            Expr::Like {
                escape: Some('!'),
                ..
            }
        ));
        assert!(parse("((a = 1))").is_ok());
        assert_eq!(parse("TRUE").unwrap(), Expr::Const(true));
        assert!(parse("a.b_c$ <> 3 and s startswith 'x'").is_ok());
    }

    #[test]
    fn errors_name_the_problem_and_where() {
        let cases = [
            ("a >", "expected a property name or a value, found the end"),
            ("a = 'x", "unterminated string"),
            ("a = 1 b = 2", "expected AND, OR or the end"),
            ("(a = 1", "expected `)`"),
            ("a + 1 = 2", "arithmetic"),
            ("a in ('x', 1)", "a quoted string in the IN list"),
            ("a between 1", "AND of BETWEEN"),
            ("a > 'x'", "compare numbers only"),
            ("a = \"x\"", "single quotes"),
            ("a", "expected a comparison"),
            ("a is null or", "property name or a value"),
            ("a = 1 and and", "property name or a value"),
            ("", "empty"),
            ("a = 99999999999999999999", "out of range"),
            ("a like 'x' escape 'ab'", "exactly one character"),
            ("a between 'x' and 2", "two numbers"),
        ];
        for (src, want) in cases {
            let e = parse(src).unwrap_err().to_string();
            assert!(e.contains(want), "{src}: {e}");
        }
        let deep = format!("{}a = 1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).unwrap_err().to_string().contains("deeper"));
        let nots = format!("{}a = 1", "not ".repeat(200));
        assert!(parse(&nots).unwrap_err().to_string().contains("deeper"));
        assert!(parse(&"a".repeat(MAX_LEN + 1)).is_err());
    }
}
