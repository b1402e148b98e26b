//! Properties over random documents and requests (bounded case counts, so the suite stays fast):
//! - parse → print → parse is the identity, and printing is a fixed point;
//! - adding a Deny (statement or policy) never grants anything new;
//! - adding an Allow (statement or policy) never takes anything away.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;

use petrel_iam::{
    Attachment, Context, DecisionEffect, PolicyDocument, PolicyType, Principal, Request, Scope,
    Via, evaluate,
};
use petrel_model::Arn;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const ACTIONS: &[&str] = &[
    "*",
    "mq:*",
    "mq:PUB",
    "mq:SUB",
    "mq:?UB",
    "MQ:pub",
    "rocketmq:*",
    "rocketmq:Get*",
    "rocketmq:CreateTopic",
    "rocketmq:List*",
    "ram:*",
    "ram:CreateUser",
];
const RESOURCES: &[&str] = &[
    "*",
    "acs:mq:*:123:rmq-1%orders",
    "acs:mq:*:*:rmq-?%*",
    "acs:mq:cn-hangzhou:123:*",
    "acs:rocketmq:*:123:instance/rmq-1/*",
    "acs:rocketmq:*:*:instance/*",
    "acs:ram:*:123:user/*",
    "acs:*:*:*:*",
];

/// (operator, keys, values) triples that are valid together.
fn condition() -> impl Strategy<Value = (String, String, Vec<String>)> {
    let families: Vec<(&[&str], &[&str], &[&str])> = vec![
        (
            &[
                "StringEquals",
                "StringNotEquals",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
                "StringLike",
                "StringNotLike",
            ],
            &["mq:Tag", "ram:ServiceName"],
            &["a", "B", "prod", "app-*", "tool-?", "ons.aliyuncs.com"],
        ),
        (
            &[
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThan",
                "NumericLessThanEquals",
                "NumericGreaterThan",
                "NumericGreaterThanEquals",
            ],
            &["mq:Size"],
            &["1", "2.5", "10", "-3"],
        ),
        (
            &[
                "DateEquals",
                "DateNotEquals",
                "DateLessThan",
                "DateLessThanEquals",
                "DateGreaterThan",
                "DateGreaterThanEquals",
            ],
            &["acs:CurrentTime", "mq:Expiry"],
            &["2026-01-01T00:00:00Z", "2026-06-01T20:00:00+08:00"],
        ),
        (
            &["Bool"],
            &["acs:SecureTransport", "acs:MFAPresent"],
            &["true", "false"],
        ),
        (
            &["IpAddress", "NotIpAddress"],
            &["acs:SourceIp"],
            &["10.0.0.0/8", "192.168.1.10", "2001:db8::/32", "::1"],
        ),
    ];
    select(families).prop_flat_map(|(ops, keys, values)| {
        (
            select(ops),
            select(keys),
            prop::collection::vec(select(values), 1..3),
        )
            .prop_map(|(op, key, values)| {
                (
                    op.to_owned(),
                    key.to_owned(),
                    values.into_iter().map(str::to_owned).collect(),
                )
            })
    })
}

fn one_or_many(items: Vec<String>) -> Value {
    if items.len() == 1 {
        json!(items[0])
    } else {
        json!(items)
    }
}

fn statement(effect: Option<&'static str>) -> impl Strategy<Value = Value> {
    let effect = match effect {
        Some(e) => Just(e).boxed(),
        None => select(vec!["Allow", "Deny"]).boxed(),
    };
    (
        prop::option::of("[ -~é\"\\\\\u{1}]{0,12}"),
        effect,
        any::<bool>(),
        prop::collection::vec(select(ACTIONS), 1..3),
        prop::collection::vec(select(RESOURCES), 1..3),
        prop::collection::vec(condition(), 0..3),
    )
        .prop_map(|(sid, effect, not_action, actions, resources, conds)| {
            let mut st = serde_json::Map::new();
            if let Some(sid) = sid {
                st.insert("Sid".into(), json!(sid));
            }
            st.insert("Effect".into(), json!(effect));
            let actions = actions.into_iter().map(str::to_owned).collect();
            st.insert(
                if not_action { "NotAction" } else { "Action" }.into(),
                one_or_many(actions),
            );
            let resources = resources.into_iter().map(str::to_owned).collect();
            st.insert("Resource".into(), one_or_many(resources));
            if !conds.is_empty() {
                // Operators and keys are unique in JSON objects: later duplicates replace earlier.
                let mut block: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
                for (op, key, values) in conds {
                    block
                        .entry(op)
                        .or_default()
                        .insert(key, one_or_many(values));
                }
                st.insert("Condition".into(), json!(block));
            }
            Value::Object(st)
        })
}

fn document(effect: Option<&'static str>) -> impl Strategy<Value = PolicyDocument> {
    prop::collection::vec(statement(effect), 1..4).prop_map(|statements| {
        let text = json!({"Version": "1", "Statement": statements}).to_string();
        PolicyDocument::parse_unlimited(&text).unwrap()
    })
}

fn scope() -> impl Strategy<Value = Scope> {
    select(vec![
        Scope::Account,
        Scope::Account,
        Scope::ResourceGroup("rg-a".into()),
        Scope::ResourceGroup("rg-b".into()),
    ])
}

fn attachment(effect: Option<&'static str>) -> impl Strategy<Value = Attachment> {
    (document(effect), scope(), any::<bool>(), 0..1000u32).prop_map(|(doc, scope, group, n)| {
        Attachment {
            policy_name: format!("p{n}"),
            policy_type: PolicyType::Custom,
            version_id: "v1".into(),
            document: Arc::new(doc),
            scope,
            via: if group {
                Via::Group("ops".into())
            } else {
                Via::Direct
            },
        }
    })
}

#[derive(Debug, Clone)]
struct Req {
    action: &'static str,
    resource: Arn,
    resource_group: Option<&'static str>,
    context: Context,
}

fn request() -> impl Strategy<Value = Req> {
    (
        select(vec![
            "mq:PUB",
            "mq:SUB",
            "rocketmq:GetTopic",
            "rocketmq:CreateTopic",
            "rocketmq:ListTopics",
            "ram:CreateUser",
        ]),
        select(vec![
            "acs:mq:cn-hangzhou:123:rmq-1%orders",
            "acs:mq:cn-hangzhou:123:rmq-2%GID_a",
            "acs:rocketmq:cn-hangzhou:123:instance/rmq-1/topic/orders",
            "acs:rocketmq:cn-hangzhou:123:instance/rmq-2/topic/*",
            "acs:ram:*:123:user/bob",
        ]),
        select(vec![None, Some("rg-a"), Some("rg-b")]),
        prop::option::of(select(vec![
            "10.1.2.3",
            "192.168.1.10",
            "2001:db8::1",
            "8.8.8.8",
        ])),
        select(vec!["2025-12-31T00:00:00Z", "2026-06-01T12:00:00Z"]),
        any::<(bool, bool)>(),
        prop::option::of(select(vec!["a", "b", "prod", "app-x", "tool-1"])),
        prop::option::of(select(vec!["1", "2.5", "11"])),
    )
        .prop_map(|(action, resource, rg, ip, time, (tls, mfa), tag, size)| {
            let mut context = Context::new(OffsetDateTime::parse(time, &Rfc3339).unwrap());
            context.source_ip = ip.map(|ip| ip.parse().unwrap());
            context.secure_transport = tls;
            context.mfa_present = mfa;
            if let Some(tag) = tag {
                context.insert("mq:Tag", tag);
            }
            if let Some(size) = size {
                context.insert("mq:Size", size);
            }
            Req {
                action,
                resource: Arn::parse(resource).unwrap(),
                resource_group: rg,
                context,
            }
        })
}

fn decide(req: &Req, attachments: &[Attachment]) -> DecisionEffect {
    let alice = Principal::user("123", "alice");
    evaluate(
        &Request {
            principal: &alice,
            action: req.action,
            resource: &req.resource,
            resource_group: req.resource_group,
            context: &req.context,
        },
        attachments,
    )
    .unwrap()
    .effect
}

fn with_statement(att: &Attachment, extra: &PolicyDocument, at_front: bool) -> Attachment {
    // Splice `extra`'s statements into `att`'s document through the printed form, which is the
    // only public way to build documents.
    let parse =
        |d: &PolicyDocument| -> Value { serde_json::from_str(&d.to_json_pretty()).unwrap() };
    let (mut base, added) = (parse(&att.document), parse(extra));
    let list = base["Statement"].as_array_mut().unwrap();
    for (i, s) in added["Statement"].as_array().unwrap().iter().enumerate() {
        if at_front {
            list.insert(i, s.clone());
        } else {
            list.push(s.clone());
        }
    }
    Attachment {
        document: Arc::new(PolicyDocument::parse_unlimited(&base.to_string()).unwrap()),
        ..att.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn parse_print_parse_is_identity(doc in document(None)) {
        let printed = doc.to_json_pretty();
        let again = PolicyDocument::parse_unlimited(&printed).unwrap();
        prop_assert_eq!(&again, &doc);
        prop_assert_eq!(again.to_json_pretty(), printed);
    }

    #[test]
    fn adding_a_deny_policy_never_grants(
        atts in prop::collection::vec(attachment(None), 0..4),
        deny in attachment(Some("Deny")),
        position in 0..5usize,
        req in request(),
    ) {
        let before = decide(&req, &atts);
        let mut more = atts.clone();
        more.insert(position.min(more.len()), deny);
        let after = decide(&req, &more);
        prop_assert!(after != DecisionEffect::Allow || before == DecisionEffect::Allow);
    }

    #[test]
    fn adding_a_deny_statement_never_grants(
        atts in prop::collection::vec(attachment(None), 1..4),
        deny in document(Some("Deny")),
        target in 0..4usize,
        at_front in any::<bool>(),
        req in request(),
    ) {
        let before = decide(&req, &atts);
        let mut more = atts.clone();
        let t = target % more.len();
        more[t] = with_statement(&more[t], &deny, at_front);
        let after = decide(&req, &more);
        prop_assert!(after != DecisionEffect::Allow || before == DecisionEffect::Allow);
    }

    #[test]
    fn adding_an_allow_never_takes_away(
        atts in prop::collection::vec(attachment(None), 0..4),
        allow in attachment(Some("Allow")),
        position in 0..5usize,
        req in request(),
    ) {
        let before = decide(&req, &atts);
        let mut more = atts.clone();
        more.insert(position.min(more.len()), allow);
        let after = decide(&req, &more);
        prop_assert!(before != DecisionEffect::Allow || after == DecisionEffect::Allow);
        // An added Allow can only turn an implicit deny into an allow.
        if before == DecisionEffect::ExplicitDeny {
            prop_assert_eq!(after, DecisionEffect::ExplicitDeny);
        }
    }

    #[test]
    fn adding_an_allow_statement_never_takes_away(
        atts in prop::collection::vec(attachment(None), 1..4),
        allow in document(Some("Allow")),
        target in 0..4usize,
        at_front in any::<bool>(),
        req in request(),
    ) {
        let before = decide(&req, &atts);
        let mut more = atts.clone();
        let t = target % more.len();
        more[t] = with_statement(&more[t], &allow, at_front);
        let after = decide(&req, &more);
        prop_assert!(before != DecisionEffect::Allow || after == DecisionEffect::Allow);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Ok(doc) = PolicyDocument::parse(&text) {
            prop_assert_eq!(PolicyDocument::parse_unlimited(&doc.to_json_pretty()).unwrap(), doc);
        }
    }
}
