//! The public shape of decisions: explanations, `AccessDeniedDetail`, request errors, and the
//! high-risk classification of system and custom policies.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use std::sync::Arc;

use petrel_iam::{
    Attachment, Context, DecisionEffect, PolicyDocument, PolicyType, Principal, Request,
    RequestError, Risk, Scope, Via, classify, evaluate, system_policies, system_policy,
};
use petrel_model::{Arn, ErrorCode};
use time::OffsetDateTime;

fn custom(name: &str, text: &str, scope: Scope, via: Via) -> Attachment {
    Attachment {
        policy_name: name.to_owned(),
        policy_type: PolicyType::Custom,
        version_id: "v1".to_owned(),
        document: Arc::new(PolicyDocument::parse(text).unwrap()),
        scope,
        via,
    }
}

fn ctx() -> Context {
    Context::new(OffsetDateTime::UNIX_EPOCH)
}

#[test]
fn explicit_deny_explains_itself_and_fills_access_denied_detail() {
    let alice = Principal::user("123", "alice");
    let deny = custom(
        "deny-orders",
        r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"mq:SUB","Resource":"*"},
            {"Effect":"Deny","Action":"mq:PUB","Resource":"acs:mq:*:123:rmq%orders"}]}"#,
        Scope::ResourceGroup("rg-a".into()),
        Via::Group("ops".into()),
    );
    let topic = Arn::mq_topic("cn-hangzhou", "123", "rmq", "orders");
    let context = ctx();
    let d = evaluate(
        &Request {
            principal: &alice,
            action: "mq:PUB",
            resource: &topic,
            resource_group: Some("rg-a"),
            context: &context,
        },
        &[deny],
    )
    .unwrap();
    assert_eq!(d.effect, DecisionEffect::ExplicitDeny);
    assert_eq!(
        d.explain(),
        "explicit deny: statement 2 of custom policy `deny-orders` (v1), attached to group `ops` of user `alice` at the scope of resource group `rg-a`, denies `mq:PUB` on `acs:mq:cn-hangzhou:123:rmq%orders`"
    );
    let detail = serde_json::to_value(d.access_denied_detail().unwrap()).unwrap();
    assert_eq!(
        detail,
        serde_json::json!({
            "NoPermissionType": "ExplicitDeny",
            "PolicyType": "ResourceGroupLevelIdentityBasedPolicy",
            "AuthAction": "mq:PUB",
            "AuthPrincipalType": "SubUser",
            "AuthPrincipalDisplayName": "alice",
            "AuthPrincipalOwnerId": "123"
        })
    );
}

#[test]
fn implicit_and_cross_account_denials_are_account_level_implicit_denials() {
    let bob = Principal::user("123", "bob");
    let context = ctx();
    let group = Arn::mq_group("cn-hangzhou", "123", "rmq", "GID_a");
    let d = evaluate(
        &Request {
            principal: &bob,
            action: "mq:SUB",
            resource: &group,
            resource_group: None,
            context: &context,
        },
        &[],
    )
    .unwrap();
    assert_eq!(
        d.to_string(),
        "implicit deny: no policy attached to user `bob` allows `mq:SUB` on `acs:mq:cn-hangzhou:123:rmq%GID_a`"
    );
    let detail = d.access_denied_detail().unwrap();
    assert_eq!(
        serde_json::to_value(&detail).unwrap()["PolicyType"],
        "AccountLevelIdentityBasedPolicy"
    );
    assert_eq!(
        serde_json::to_value(&detail).unwrap()["NoPermissionType"],
        "ImplicitDeny"
    );

    let root = Principal::root("123");
    let foreign = Arn::rocketmq_topic("cn-hangzhou", "456", "rmq", "t");
    let admin = system_policy("AdministratorAccess")
        .unwrap()
        .attachment(Scope::Account, Via::Direct);
    for who in [&root, &bob] {
        let d = evaluate(
            &Request {
                principal: who,
                action: "rocketmq:GetTopic",
                resource: &foreign,
                resource_group: None,
                context: &context,
            },
            std::slice::from_ref(&admin),
        )
        .unwrap();
        assert_eq!(d.effect, DecisionEffect::CrossAccountDeny, "{d}");
        assert!(d.matched.is_none());
        assert!(d.access_denied_detail().is_some());
    }
}

#[test]
fn allowed_decisions_have_no_denied_detail() {
    let root = Principal::root("123");
    let context = ctx();
    let user = Arn::ram_user("123", "bob");
    let d = evaluate(
        &Request {
            principal: &root,
            action: "ram:DeleteUser",
            resource: &user,
            resource_group: None,
            context: &context,
        },
        &[],
    )
    .unwrap();
    assert!(d.is_allowed());
    assert!(d.access_denied_detail().is_none());
    assert_eq!(
        d.explain(),
        "allow: the root of account `123` may do anything within its own account, so `ram:DeleteUser` on `acs:ram:*:123:user/bob`"
    );
}

#[test]
fn malformed_requests_are_errors_not_denials() {
    let root = Principal::root("123");
    let context = ctx();
    let ok = Arn::ram_user("123", "bob");
    let wild = Arn::new("ram", "*", "*", "user/bob");
    let empty = Arn::new("ram", "*", "", "user/bob");
    let check = |action: &str, resource: &Arn| {
        evaluate(
            &Request {
                principal: &root,
                action,
                resource,
                resource_group: None,
                context: &context,
            },
            &[],
        )
    };
    for action in ["ram:*", "ram:Get?", "*", "CreateUser", "ram:", ":x"] {
        let e = check(action, &ok).unwrap_err();
        assert!(matches!(e, RequestError::InvalidAction(_)), "{action}");
        assert_eq!(e.code(), ErrorCode::InvalidParameter("Action".into()));
    }
    for resource in [&wild, &empty] {
        let e = check("ram:GetUser", resource).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidParameter("Resource".into()));
        assert!(
            e.to_string().starts_with("invalid resource `acs:ram:*:"),
            "{e}"
        );
    }
}

#[test]
fn high_risk_system_policies() {
    let high: Vec<&str> = system_policies()
        .iter()
        .filter(|p| p.risk().is_high())
        .map(|p| p.name())
        .collect();
    assert_eq!(
        high,
        [
            "AdministratorAccess",
            "AliyunRAMFullAccess",
            "AliyunMQFullAccess"
        ]
    );
    let Risk::HighRisk { reasons } = system_policy("AliyunRAMFullAccess").unwrap().risk() else {
        panic!("not high-risk")
    };
    assert_eq!(
        reasons,
        [
            "statement 1 allows every RAM action (`ram:*`) on every resource, which lets the holder grant itself any permission"
        ]
    );
    let Risk::HighRisk { reasons } = system_policy("AliyunMQFullAccess").unwrap().risk() else {
        panic!("not high-risk")
    };
    assert_eq!(
        reasons,
        ["statement 1 allows every `mq` action (`mq:*`) on every resource"]
    );
}

#[test]
fn high_risk_custom_policies() {
    let risk = |statement: &str| {
        classify(
            &PolicyDocument::parse(&format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"mq:PUB","Resource":"*"}},{statement}]}}"#
            ))
            .unwrap(),
        )
    };
    let high = [
        r#"{"Effect":"Allow","Action":["mq:SUB","*"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"*:*","Resource":"acs:*:*:*:*"}"#,
        r#"{"Effect":"Allow","Action":"Ram:*","Resource":["acs:mq:*:*:x","*"]}"#,
        r#"{"Effect":"Allow","Action":"rocketmq:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#,
        r#"{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}"#,
    ];
    for s in high {
        assert!(risk(s).is_high(), "{s}");
    }
    assert_eq!(
        risk(high[0]).to_string(),
        "high-risk: statement 2 allows every action (`*`) on every resource"
    );
    let normal = [
        r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"acs:mq:*:123:*"}"#,
        r#"{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"mq:SUB","Resource":"*"}"#,
    ];
    for s in normal {
        assert_eq!(risk(s), Risk::Normal, "{s}");
    }
}
