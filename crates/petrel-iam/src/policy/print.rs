//! The canonical pretty form of a policy document.
//!
//! One spelling per document, so that the console, `GetPolicyVersion` and audit records show the
//! same text and so that parse → print → parse is the identity: elements in the order `Version`,
//! `Statement` and `Sid, Effect, Action|NotAction, Resource, Condition`; two-space indentation;
//! a single value as a string, several as an array; condition values always as strings.

use std::fmt::Write as _;

use super::{PolicyDocument, Statement};
use crate::condition::Condition;

pub(crate) fn pretty(doc: &PolicyDocument) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\n  \"Version\": \"1\",\n  \"Statement\": [");
    for (i, st) in doc.statements().iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        statement(&mut out, st);
    }
    out.push_str("\n  ]\n}");
    out
}

fn statement(out: &mut String, st: &Statement) {
    out.push_str("    {\n");
    if let Some(sid) = st.sid() {
        member(out, 6, "Sid");
        string(out, sid);
        out.push_str(",\n");
    }
    member(out, 6, "Effect");
    string(out, st.effect().as_str());
    out.push_str(",\n");
    member(
        out,
        6,
        if st.is_not_action() {
            "NotAction"
        } else {
            "Action"
        },
    );
    list(out, 6, st.actions());
    out.push_str(",\n");
    member(out, 6, "Resource");
    list(out, 6, st.resources());
    if !st.conditions().is_empty() {
        out.push_str(",\n");
        member(out, 6, "Condition");
        conditions(out, st.conditions());
    }
    out.push_str("\n    }");
}

/// Conditions are stored flat (one per operator and key) in document order; consecutive entries
/// with the same operator form one operator block. The parser refuses a repeated operator, so
/// equal operators are always adjacent.
fn conditions(out: &mut String, conds: &[Condition]) {
    out.push('{');
    let mut i = 0;
    while let Some(first) = conds.get(i) {
        let op = first.operator();
        let end = conds[i..]
            .iter()
            .position(|c| c.operator() != op)
            .map_or(conds.len(), |n| i + n);
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        member(out, 8, op.name());
        out.push('{');
        for (j, c) in conds[i..end].iter().enumerate() {
            out.push_str(if j == 0 { "\n" } else { ",\n" });
            member(out, 10, c.key());
            list(out, 10, c.values().iter().map(String::as_str));
        }
        out.push('\n');
        indent(out, 8);
        out.push('}');
        i = end;
    }
    out.push('\n');
    indent(out, 6);
    out.push('}');
}

fn list<'a>(out: &mut String, depth: usize, mut items: impl ExactSizeIterator<Item = &'a str>) {
    if items.len() == 1 {
        if let Some(item) = items.next() {
            string(out, item);
        }
        return;
    }
    out.push('[');
    for (i, item) in items.enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        indent(out, depth + 2);
        string(out, item);
    }
    out.push('\n');
    indent(out, depth);
    out.push(']');
}

fn member(out: &mut String, depth: usize, name: &str) {
    indent(out, depth);
    string(out, name);
    out.push_str(": ");
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n(' ', depth));
}

/// A JSON string literal with the escapes RFC 8259 requires.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use crate::PolicyDocument;

    #[test]
    fn pretty_form_is_stable_and_reparses() {
        let text = r#"{"Statement":[{"Resource":["acs:mq:*:*:rmq%a","acs:mq:*:*:rmq%b"],
            "Action":"mq:PUB","Effect":"Allow","Sid":"s\"1",
            "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8"]},
                         "NumericLessThan":{"mq:n":5,"mq:m":["1","2"]}}}],"Version":"1"}"#;
        let doc = PolicyDocument::parse(text).unwrap();
        let printed = doc.to_json_pretty();
        let expected = r#"{
  "Version": "1",
  "Statement": [
    {
      "Sid": "s\"1",
      "Effect": "Allow",
      "Action": "mq:PUB",
      "Resource": [
        "acs:mq:*:*:rmq%a",
        "acs:mq:*:*:rmq%b"
      ],
      "Condition": {
        "IpAddress": {
          "acs:SourceIp": "10.0.0.0/8"
        },
        "NumericLessThan": {
          "mq:n": "5",
          "mq:m": [
            "1",
            "2"
          ]
        }
      }
    }
  ]
}"#;
        assert_eq!(printed, expected);
        assert_eq!(PolicyDocument::parse(&printed).unwrap(), doc);
        assert_eq!(
            PolicyDocument::parse(&printed).unwrap().to_json_pretty(),
            printed
        );
    }
}
