//! Invalid documents are refused with `MalformedPolicyDocument` and a message naming the place
//! (statement number and `Sid`, element) and the problem (offending value).

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use petrel_iam::{MAX_DOCUMENT_CHARS, PolicyDocument, PolicyError};
use petrel_model::ErrorCode;

fn error(text: &str) -> PolicyError {
    match PolicyDocument::parse(text) {
        Ok(doc) => panic!("accepted an invalid document: {doc}"),
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::MalformedPolicyDocument);
            e
        }
    }
}

fn message(text: &str) -> String {
    error(text).to_string()
}

/// A document whose second statement is `second` (the first is valid).
fn second(second: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"mq:PUB","Resource":"*"}},{second}]}}"#
    )
}

#[test]
fn effect_error_names_statement_sid_element_and_value() {
    let e = error(&second(
        r#"{"Sid":"x","Effect":"allow","Action":"mq:SUB","Resource":"*"}"#,
    ));
    assert_eq!(
        e.to_string(),
        "statement 2 (`Sid` \"x\"): `Effect` must be `Allow` or `Deny`, got `allow`"
    );
    match e {
        PolicyError::Invalid(inner) => {
            assert_eq!(inner.statement_number(), Some(2));
            assert_eq!(
                inner.problem(),
                "`Effect` must be `Allow` or `Deny`, got `allow`"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn json_syntax_errors_carry_line_and_column() {
    let e = error("{\"Version\": \"1\",\n  \"Statement\": [}");
    let PolicyError::Syntax(s) = &e else {
        panic!("unexpected {e:?}")
    };
    assert_eq!((s.line(), s.column()), (2, 17));
    assert!(
        e.to_string().starts_with("invalid json at line 2:17: "),
        "{e}"
    );
    assert!(message("").starts_with("invalid json at line 1:0: "));
}

#[test]
fn top_level_problems() {
    let cases = [
        (
            "[]",
            "a policy document must be a JSON object, got an array",
        ),
        (
            r#"{"Statement":[]}"#,
            "`Version` is missing; it must be \"1\"",
        ),
        (
            r#"{"Version":"2","Statement":[]}"#,
            "`Version` must be \"1\", got `2`",
        ),
        (
            r#"{"Version":1,"Statement":[]}"#,
            "`Version` must be \"1\", got `1`",
        ),
        (r#"{"Version":"1"}"#, "`Statement` is missing"),
        (
            r#"{"Version":"1","Statement":[]}"#,
            "`Statement` must list at least one statement",
        ),
        (
            r#"{"Version":"1","Statement":{"Effect":"Allow"}}"#,
            "`Statement` must be an array of statements, got an object",
        ),
        (
            r#"{"Version":"1","version":"1","Statement":[]}"#,
            "unknown element `version` in the policy document (element names are case-sensitive: did you mean `Version`?)",
        ),
        (
            r#"{"Version":"1","Version":"1","Statement":[]}"#,
            "`Version` appears twice",
        ),
        (
            r#"{"Version":"1","Id":"x","Statement":[]}"#,
            "unknown element `Id` in the policy document (expected one of `Version`, `Statement`)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(message(text), want, "{text}");
    }
}

#[test]
fn statement_problems() {
    let cases = [
        (
            r#""Allow""#,
            "statement 2: a statement must be a JSON object, got `Allow`",
        ),
        (
            r#"{"Action":"mq:SUB","Resource":"*"}"#,
            "statement 2: `Effect` is missing; it must be `Allow` or `Deny`",
        ),
        (
            r#"{"Sid":7,"Effect":"Allow","Action":"mq:SUB","Resource":"*"}"#,
            "statement 2: `Sid` must be a string, got `7`",
        ),
        (
            r#"{"Effect":"Allow","Resource":"*"}"#,
            "statement 2: `Action` or `NotAction` is required",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB","NotAction":"mq:PUB","Resource":"*"}"#,
            "statement 2: `Action` and `NotAction` cannot both be present",
        ),
        (
            r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#,
            "statement 2: `Action` must not be an empty array",
        ),
        (
            r#"{"Effect":"Allow","Action":["mq:SUB",3],"Resource":"*"}"#,
            "statement 2: `Action` item 2 must be a string, got `3`",
        ),
        (
            r#"{"Effect":"Allow","NotAction":"mq*","Resource":"*"}"#,
            "statement 2: `NotAction` value `mq*` must be `*` or `<service>:<action>`, such as `mq:PUB`",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB"}"#,
            "statement 2: `Resource` is missing",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB","Resource":"acs:mq:*"}"#,
            "statement 2: `Resource` value `acs:mq:*` must be `*` or `acs:<service>:<region>:<account>:<resource>`",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB","Resource":"arn:aws:s3:::b"}"#,
            "statement 2: `Resource` value `arn:aws:s3:::b` must be `*` or `acs:<service>:<region>:<account>:<resource>`",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB","NotResource":"*"}"#,
            "statement 2: unknown element `NotResource` in a statement (`NotResource` is not supported in RAM identity policies)",
        ),
        (
            r#"{"Effect":"Allow","Action":"mq:SUB","Resource":"*","Principal":"*"}"#,
            "statement 2: unknown element `Principal` in a statement (`Principal` is not supported in RAM identity policies)",
        ),
        (
            r#"{"Effect":"Allow","action":"mq:SUB","Resource":"*"}"#,
            "statement 2: unknown element `action` in a statement (element names are case-sensitive: did you mean `Action`?)",
        ),
        (
            r#"{"Effect":"Allow","Effect":"Deny","Action":"mq:SUB","Resource":"*"}"#,
            "statement 2: `Effect` appears twice",
        ),
    ];
    for (statement, want) in cases {
        assert_eq!(message(&second(statement)), want, "{statement}");
    }
}

#[test]
fn condition_problems() {
    let with = |condition: &str| {
        second(&format!(
            r#"{{"Sid":"c","Effect":"Allow","Action":"mq:SUB","Resource":"*","Condition":{condition}}}"#
        ))
    };
    let p = "statement 2 (`Sid` \"c\"): ";
    let cases = [
        (
            r#""x""#,
            "`Condition` must be an object of operators, got `x`",
        ),
        (
            r#"{"StringEqual":{"a:b":"c"}}"#,
            "unknown condition operator `StringEqual`",
        ),
        (
            r#"{"stringequals":{"a:b":"c"}}"#,
            "unknown condition operator `stringequals` (operator names are case-sensitive: did you mean `StringEquals`?)",
        ),
        (
            r#"{"StringEqualsIfExists":{"a:b":"c"}}"#,
            "condition operator `StringEqualsIfExists` is not supported by RAM",
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"a:b":"c"}}"#,
            "condition operator `ForAnyValue:StringEquals` is not supported by RAM",
        ),
        (
            r#"{"StringEquals":{}}"#,
            "`Condition` operator `StringEquals` must name at least one condition key",
        ),
        (
            r#"{"StringEquals":"x"}"#,
            "`Condition` operator `StringEquals` must map condition keys to values, got `x`",
        ),
        (
            r#"{"StringEquals":{"SourceIp":"c"}}"#,
            "condition key `SourceIp` under `StringEquals` must look like `<service>:<name>`, such as `acs:SourceIp`",
        ),
        (
            r#"{"StringEquals":{"a:b":[]}}"#,
            "condition key `a:b` under `StringEquals` needs at least one value",
        ),
        (
            r#"{"StringEquals":{"a:b":{"x":1}}}"#,
            "values of condition key `a:b` under `StringEquals` must be strings, numbers or booleans, got an object",
        ),
        (
            r#"{"NumericLessThan":{"mq:Size":"abc"}}"#,
            "`NumericLessThan` value `abc` for `mq:Size` is not a number",
        ),
        (
            r#"{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}"#,
            "`DateLessThan` value `tomorrow` for `acs:CurrentTime` is not an ISO 8601 date-time such as `2019-08-12T17:00:00+08:00`",
        ),
        (
            r#"{"Bool":{"acs:MFAPresent":"yes"}}"#,
            "`Bool` value `yes` for `acs:MFAPresent` is not `true` or `false`",
        ),
        (
            r#"{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}"#,
            "`IpAddress` value `10.0.0.0/33` for `acs:SourceIp` is not an IPv4/IPv6 address or CIDR block",
        ),
        (
            r#"{"IpAddress":{"acs:SourceIp":"1.2.3.4","acs:SourceIp":"1.2.3.5"}}"#,
            "condition key `acs:SourceIp` appears twice under `IpAddress`",
        ),
    ];
    for (condition, want) in cases {
        assert_eq!(
            message(&with(condition)),
            format!("{p}{want}"),
            "{condition}"
        );
    }
}

#[test]
fn length_limit_counts_characters_including_whitespace() {
    let base =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"mq:PUB","Resource":"*"}]}"#;
    let pad = MAX_DOCUMENT_CHARS - base.chars().count();
    let at_limit = format!("{base}{}", " ".repeat(pad));
    assert!(PolicyDocument::parse(&at_limit).is_ok());
    let over = format!("{at_limit} ");
    assert_eq!(
        message(&over),
        "policy document is 6145 characters long, more than the limit of 6144"
    );
    // Characters, not bytes: 6,144 two-byte characters in a Sid are fine.
    let wide = format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"mq:PUB","Resource":"*"}}]}}"#,
        "é".repeat(MAX_DOCUMENT_CHARS - 92)
    );
    assert!(wide.len() > MAX_DOCUMENT_CHARS && wide.chars().count() <= MAX_DOCUMENT_CHARS);
    assert!(PolicyDocument::parse(&wide).is_ok());
}

#[test]
fn long_values_are_shortened_in_messages() {
    let long = "x".repeat(500);
    let m = message(&second(&format!(
        r#"{{"Effect":"Allow","Action":"{long}","Resource":"*"}}"#
    )));
    assert!(m.len() < 200, "{m}");
    assert!(m.contains('…'));
}
