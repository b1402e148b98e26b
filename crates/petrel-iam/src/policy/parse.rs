//! Reading policy text: JSON syntax (with line:column errors), then the RAM grammar (with errors
//! that name the statement, the element and the offending value).
//!
//! JSON is read into a small order-preserving tree instead of `serde_json::Value` because the
//! latter silently keeps the last of two equal keys; a policy with `"Effect"` twice is refused.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{
    Effect, InvalidPolicyError, PolicyDocument, PolicyError, ResourcePattern, Statement,
    SyntaxError, snippet,
};
use crate::condition::{Condition, ConditionOperator};
use crate::glob::{Case, Glob};

/// A JSON value that keeps object members in order, duplicates included.
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(entry) = map.next_entry::<String, Json>()? {
            members.push(entry);
        }
        Ok(Json::Object(members))
    }
}

impl Json {
    /// How a value is quoted in a message: strings raw, the rest as their kind.
    fn describe(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => format!("`{b}`"),
            Json::Number(n) => format!("`{n}`"),
            Json::String(s) => format!("`{}`", snippet(s)),
            Json::Array(_) => "an array".to_owned(),
            Json::Object(_) => "an object".to_owned(),
        }
    }
}

/// Where in the document an error is: empty at top level, else the statement prefix.
struct Place {
    statement: Option<usize>,
    prefix: String,
}

impl Place {
    fn top() -> Place {
        Place {
            statement: None,
            prefix: String::new(),
        }
    }

    fn statement(number: usize, sid: Option<&str>) -> Place {
        let prefix = match sid {
            Some(sid) => format!("statement {number} (`Sid` \"{}\"): ", snippet(sid)),
            None => format!("statement {number}: "),
        };
        Place {
            statement: Some(number),
            prefix,
        }
    }

    fn err(&self, problem: impl Into<String>) -> PolicyError {
        PolicyError::Invalid(InvalidPolicyError {
            statement: self.statement,
            place: self.prefix.clone(),
            problem: problem.into(),
        })
    }
}

type Parsed<T> = Result<T, PolicyError>;

pub(crate) fn parse_document(text: &str) -> Parsed<PolicyDocument> {
    let json: Json = serde_json::from_str(text).map_err(syntax_error)?;
    let top = Place::top();
    let Json::Object(members) = json else {
        return Err(top.err(format!(
            "a policy document must be a JSON object, got {}",
            json.describe()
        )));
    };
    check_members(
        &top,
        "the policy document",
        &members,
        &["Version", "Statement"],
    )?;
    match find(&members, "Version") {
        None => return Err(top.err("`Version` is missing; it must be \"1\"")),
        Some(Json::String(v)) if v == "1" => {}
        Some(other) => {
            return Err(top.err(format!("`Version` must be \"1\", got {}", other.describe())));
        }
    }
    let statements = match find(&members, "Statement") {
        None => return Err(top.err("`Statement` is missing")),
        Some(Json::Array(items)) if items.is_empty() => {
            return Err(top.err("`Statement` must list at least one statement"));
        }
        Some(Json::Array(items)) => items,
        Some(other) => {
            return Err(top.err(format!(
                "`Statement` must be an array of statements, got {}",
                other.describe()
            )));
        }
    };
    let statements = statements
        .iter()
        .enumerate()
        .map(|(i, s)| parse_statement(i + 1, s))
        .collect::<Parsed<Vec<_>>>()?;
    Ok(PolicyDocument::from_statements(statements))
}

fn syntax_error(e: serde_json::Error) -> PolicyError {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    PolicyError::Syntax(SyntaxError {
        line,
        column,
        message,
    })
}

fn find<'a>(members: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Refuses duplicate and unknown members, with a hint when only the case is wrong.
fn check_members(
    place: &Place,
    what: &str,
    members: &[(String, Json)],
    known: &[&str],
) -> Parsed<()> {
    for (i, (name, _)) in members.iter().enumerate() {
        if members[..i].iter().any(|(k, _)| k == name) {
            return Err(place.err(format!("`{}` appears twice", snippet(name))));
        }
        if known.contains(&name.as_str()) {
            continue;
        }
        let hint = match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
            Some(k) => format!(" (element names are case-sensitive: did you mean `{k}`?)"),
            None => {
                let unsupported = ["NotResource", "Principal", "NotPrincipal"];
                if unsupported.contains(&name.as_str()) {
                    format!(" (`{name}` is not supported in RAM identity policies)")
                } else {
                    format!(" (expected one of {})", backticked(known))
                }
            }
        };
        return Err(place.err(format!(
            "unknown element `{}` in {what}{hint}",
            snippet(name)
        )));
    }
    Ok(())
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_statement(number: usize, json: &Json) -> Parsed<Statement> {
    let Json::Object(members) = json else {
        return Err(Place::statement(number, None).err(format!(
            "a statement must be a JSON object, got {}",
            json.describe()
        )));
    };
    let sid = match find(members, "Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(Place::statement(number, None)
                .err(format!("`Sid` must be a string, got {}", other.describe())));
        }
    };
    let place = Place::statement(number, sid.as_deref());
    check_members(
        &place,
        "a statement",
        members,
        &[
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "Condition",
        ],
    )?;

    let effect = match find(members, "Effect") {
        None => return Err(place.err("`Effect` is missing; it must be `Allow` or `Deny`")),
        Some(Json::String(s)) if s == "Allow" => Effect::Allow,
        Some(Json::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(place.err(format!(
                "`Effect` must be `Allow` or `Deny`, got {}",
                other.describe()
            )));
        }
    };

    let (element, not_action, value) = match (find(members, "Action"), find(members, "NotAction")) {
        (Some(v), None) => ("Action", false, v),
        (None, Some(v)) => ("NotAction", true, v),
        (Some(_), Some(_)) => {
            return Err(place.err("`Action` and `NotAction` cannot both be present"));
        }
        (None, None) => return Err(place.err("`Action` or `NotAction` is required")),
    };
    let actions = strings(&place, element, value)?
        .into_iter()
        .map(|a| {
            if valid_action(&a) {
                Ok(Glob::new(&a, Case::Insensitive))
            } else {
                Err(place.err(format!(
                    "`{element}` value `{}` must be `*` or `<service>:<action>`, such as `mq:PUB`",
                    snippet(&a)
                )))
            }
        })
        .collect::<Parsed<Vec<_>>>()?;

    let resources = match find(members, "Resource") {
        None => return Err(place.err("`Resource` is missing")),
        Some(v) => strings(&place, "Resource", v)?,
    }
    .into_iter()
    .map(|r| {
        ResourcePattern::new(&r).ok_or_else(|| {
            place.err(format!(
                "`Resource` value `{}` must be `*` or `acs:<service>:<region>:<account>:<resource>`",
                snippet(&r)
            ))
        })
    })
    .collect::<Parsed<Vec<_>>>()?;

    let conditions = match find(members, "Condition") {
        None => Vec::new(),
        Some(v) => parse_condition(&place, v)?,
    };
    Ok(Statement::from_parts(
        sid, effect, not_action, actions, resources, conditions,
    ))
}

/// `<service>:<action>` with non-empty parts and no whitespace, or a wildcard-only pattern.
fn valid_action(a: &str) -> bool {
    if a.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if !a.is_empty() && a.bytes().all(|b| b == b'*') {
        return true;
    }
    matches!(a.split_once(':'), Some((s, n)) if !s.is_empty() && !n.is_empty() && !n.contains(':'))
}

/// A string or a non-empty array of strings.
fn strings(place: &Place, element: &str, value: &Json) -> Parsed<Vec<String>> {
    match value {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(items) if items.is_empty() => {
            Err(place.err(format!("`{element}` must not be an empty array")))
        }
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Json::String(s) => Ok(s.clone()),
                other => Err(place.err(format!(
                    "`{element}` item {} must be a string, got {}",
                    i + 1,
                    other.describe()
                ))),
            })
            .collect(),
        other => Err(place.err(format!(
            "`{element}` must be a string or an array of strings, got {}",
            other.describe()
        ))),
    }
}

fn parse_condition(place: &Place, value: &Json) -> Parsed<Vec<Condition>> {
    let Json::Object(operators) = value else {
        return Err(place.err(format!(
            "`Condition` must be an object of operators, got {}",
            value.describe()
        )));
    };
    let mut out = Vec::new();
    for (i, (op_name, keys)) in operators.iter().enumerate() {
        if operators[..i].iter().any(|(k, _)| k == op_name) {
            return Err(place.err(format!(
                "`Condition` operator `{}` appears twice",
                snippet(op_name)
            )));
        }
        let Some(operator) = ConditionOperator::from_name(op_name) else {
            return Err(place.err(unknown_operator(op_name)));
        };
        let Json::Object(keys) = keys else {
            return Err(place.err(format!(
                "`Condition` operator `{operator}` must map condition keys to values, got {}",
                keys.describe()
            )));
        };
        if keys.is_empty() {
            return Err(place.err(format!(
                "`Condition` operator `{operator}` must name at least one condition key"
            )));
        }
        for (j, (key, values)) in keys.iter().enumerate() {
            if keys[..j].iter().any(|(k, _)| k == key) {
                return Err(place.err(format!(
                    "condition key `{}` appears twice under `{operator}`",
                    snippet(key)
                )));
            }
            if !valid_condition_key(key) {
                return Err(place.err(format!(
                    "condition key `{}` under `{operator}` must look like `<service>:<name>`, such as `acs:SourceIp`",
                    snippet(key)
                )));
            }
            let texts = condition_values(place, operator, key, values)?;
            out.push(Condition::new(operator, key, texts).map_err(|p| place.err(p))?);
        }
    }
    Ok(out)
}

fn unknown_operator(name: &str) -> String {
    let shown = snippet(name);
    if let Some(op) = ConditionOperator::all().find(|op| op.name().eq_ignore_ascii_case(name)) {
        return format!(
            "unknown condition operator `{shown}` (operator names are case-sensitive: did you mean `{op}`?)"
        );
    }
    if name.ends_with("IfExists") || name == "Null" || name.contains(':') {
        return format!("condition operator `{shown}` is not supported by RAM");
    }
    format!("unknown condition operator `{shown}`")
}

fn valid_condition_key(key: &str) -> bool {
    !key.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(key.split_once(':'), Some((s, n)) if !s.is_empty() && !n.is_empty())
}

/// Condition values may be strings, numbers or booleans (alone or in an array); they are kept as
/// text, which is how the canonical form prints them.
fn condition_values(
    place: &Place,
    operator: ConditionOperator,
    key: &str,
    value: &Json,
) -> Parsed<Vec<String>> {
    let scalar = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let bad = |v: &Json| {
        place.err(format!(
            "values of condition key `{}` under `{operator}` must be strings, numbers or booleans, got {}",
            snippet(key),
            v.describe()
        ))
    };
    match value {
        Json::Array(items) if items.is_empty() => Err(place.err(format!(
            "condition key `{}` under `{operator}` needs at least one value",
            snippet(key)
        ))),
        Json::Array(items) => items
            .iter()
            .map(|v| scalar(v).ok_or_else(|| bad(v)))
            .collect(),
        v => scalar(v).map(|s| vec![s]).ok_or_else(|| bad(v)),
    }
}
