//! Decision and parse costs. Target: ≤ 10 µs per uncached decision with 20 attached policies.
//!
//! Run: `cargo bench -p petrel-iam`.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use petrel_iam::{
    Attachment, Context, PolicyDocument, PolicyType, Principal, Request, Scope, Via, evaluate,
    system_policies, system_policy,
};
use petrel_model::Arn;
use time::macros::datetime;

/// A realistic custom policy: a few statements with wildcards and conditions, about 1 KB.
fn custom_text(i: usize) -> String {
    format!(
        r#"{{
  "Version": "1",
  "Statement": [
    {{
      "Sid": "pub-team-{i}",
      "Effect": "Allow",
      "Action": ["mq:PUB", "mq:OnsInstanceBaseInfo"],
      "Resource": ["acs:mq:*:123:rmq-{i}%team{i}-*", "acs:mq:*:123:rmq-{i}"],
      "Condition": {{
        "IpAddress": {{"acs:SourceIp": ["10.{i}.0.0/16", "192.168.{i}.0/24", "2001:db8:{i}::/48"]}},
        "Bool": {{"acs:SecureTransport": "true"}}
      }}
    }},
    {{
      "Effect": "Allow",
      "Action": ["rocketmq:Get*", "rocketmq:List*"],
      "Resource": "acs:rocketmq:*:123:instance/rmq-{i}*"
    }},
    {{
      "Effect": "Deny",
      "Action": ["rocketmq:Delete*", "rocketmq:ResetConsumeOffset"],
      "Resource": "*",
      "Condition": {{"DateLessThan": {{"acs:CurrentTime": "2020-01-01T00:00:00Z"}}}}
    }},
    {{
      "Effect": "Allow",
      "Action": "mq:SUB",
      "Resource": "acs:mq:*:123:rmq-{i}%GID_team{i}_*",
      "Condition": {{"StringLike": {{"mq:ClientId": ["app-{i}-*", "tool-?"]}}}}
    }}
  ]
}}"#
    )
}

fn custom(i: usize, scope: Scope, via: Via) -> Attachment {
    Attachment {
        policy_name: format!("team-{i}"),
        policy_type: PolicyType::Custom,
        version_id: "v3".into(),
        document: Arc::new(PolicyDocument::parse(&custom_text(i)).unwrap()),
        scope,
        via,
    }
}

/// The 7 system policies minus the two that would allow everything, plus 15 custom ones in mixed
/// scopes and groups: 20 attachments.
fn twenty() -> Vec<Attachment> {
    let mut out: Vec<Attachment> = system_policies()
        .iter()
        .filter(|p| !matches!(p.name(), "AdministratorAccess" | "AliyunMQFullAccess"))
        .map(|p| {
            p.attachment(
                Scope::ResourceGroup("rg-other".into()),
                Via::Group("ops".into()),
            )
        })
        .collect();
    for i in 0..15 {
        let scope = if i % 3 == 0 {
            Scope::ResourceGroup(format!("rg-{i}"))
        } else {
            Scope::Account
        };
        let via = if i % 2 == 0 {
            Via::Direct
        } else {
            Via::Group("dev".into())
        };
        out.push(custom(i + 1, scope, via));
    }
    assert_eq!(out.len(), 20);
    out
}

fn bench(c: &mut Criterion) {
    let alice = Principal::user("123", "alice");
    let mut context = Context::new(datetime!(2026-06-01 12:00 UTC));
    context.source_ip = Some("10.14.3.7".parse().unwrap());
    context.secure_transport = true;
    context.insert("mq:ClientId", "app-14-a");
    // Allowed by the last custom policy (team-15 is the 20th attachment; 10.14/16 is team 14).
    let topic = Arn::mq_topic("cn-hangzhou", "123", "rmq-14", "team14-orders");
    let send = Request {
        principal: &alice,
        action: "mq:PUB",
        resource: &topic,
        resource_group: Some("rg-a"),
        context: &context,
    };
    let other = Arn::mq_topic("cn-hangzhou", "123", "rmq-99", "orders");
    let denied = Request {
        resource: &other,
        ..send
    };
    let one = [system_policy("AliyunMQPubOnlyAccess")
        .unwrap()
        .attachment(Scope::Account, Via::Direct)];
    let twenty = twenty();
    assert!(evaluate(&send, &one).unwrap().is_allowed());
    assert!(evaluate(&send, &twenty).unwrap().is_allowed());
    assert!(!evaluate(&denied, &twenty).unwrap().is_allowed());

    c.bench_function("evaluate/1 policy (allow)", |b| {
        b.iter(|| evaluate(black_box(&send), black_box(&one)))
    });
    c.bench_function("evaluate/20 policies (allow)", |b| {
        b.iter(|| evaluate(black_box(&send), black_box(&twenty)))
    });
    c.bench_function("evaluate/20 policies (implicit deny)", |b| {
        b.iter(|| evaluate(black_box(&denied), black_box(&twenty)))
    });

    let text = custom_text(7);
    c.bench_function(
        &format!("parse/custom policy ({} chars)", text.len()),
        |b| b.iter(|| PolicyDocument::parse(black_box(&text))),
    );
    let mq_full = system_policy("AliyunMQReadOnlyAccess")
        .unwrap()
        .document()
        .to_json_pretty();
    c.bench_function("parse/AliyunMQReadOnlyAccess", |b| {
        b.iter(|| PolicyDocument::parse(black_box(&mq_full)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
