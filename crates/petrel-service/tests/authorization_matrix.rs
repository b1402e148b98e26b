//! The authorization matrix of the product page: each of the four MQ system policies ×
//! {send, consume, read-only management call, write management call} × {granted at account
//! scope, on the resource's group, on another group} × {activated, not activated}.

#![allow(clippy::unwrap_used, reason = "test")]

mod common;

use common::{Fixture, ctx};
use petrel_meta::{NewAccount, NewInstance, NewTopic, NewUser, PolicyRef, Principal, Scope};
use petrel_model::MessageType;
use petrel_service::{AttachRequest, Caller, Identity, Resource, Service, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Send,
    Consume,
    ReadManagement,
    WriteManagement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    Account,
    ResourceGroup,
    OtherGroup,
}

const ROLES: [&str; 4] = [
    "AliyunMQFullAccess",
    "AliyunMQReadOnlyAccess",
    "AliyunMQPubOnlyAccess",
    "AliyunMQSubOnlyAccess",
];
const OPS: [Op; 4] = [
    Op::Send,
    Op::Consume,
    Op::ReadManagement,
    Op::WriteManagement,
];
const GRANTS: [Grant; 3] = [Grant::Account, Grant::ResourceGroup, Grant::OtherGroup];

/// What the product page promises for a grant that reaches the resource.
fn role_allows(role: &str, op: Op) -> bool {
    match role {
        "AliyunMQFullAccess" => true,
        "AliyunMQReadOnlyAccess" => op == Op::ReadManagement,
        "AliyunMQPubOnlyAccess" => op == Op::Send,
        "AliyunMQSubOnlyAccess" => op == Op::Consume,
        _ => unreachable!(),
    }
}

struct Account {
    id: String,
    prod: String,
    other: String,
}

/// An account with groups `prod` and `other`, instance `orders` (in `prod`) with topic `t`,
/// and one user per (role, grant) holding that role at that scope.
fn setup(service: &Service, alias: &str, activated: bool) -> Account {
    let hash = service.catalog().hash_password("Passw0rd-root").unwrap();
    let (account, _) = service
        .catalog()
        .write(|tx| {
            tx.create_account(NewAccount {
                alias: alias.to_owned(),
                root_password: hash,
            })
        })
        .unwrap();
    let root = Caller {
        account_id: account.id.clone(),
        identity: Identity::Root,
        context: ctx(),
    };
    let prod = service
        .create_resource_group(&root, "prod", "Production")
        .unwrap();
    let other = service
        .create_resource_group(&root, "other", "Other")
        .unwrap();
    // Resources are laid out directly in the catalogue so the not-activated account has them too.
    service
        .catalog()
        .write(|tx| {
            tx.create_instance(
                &account.id,
                NewInstance {
                    id: Some("orders".to_owned()),
                    name: "orders".to_owned(),
                    resource_group_id: Some(prod.id.clone()),
                    remark: None,
                },
            )?;
            tx.create_topic(
                &account.id,
                "orders",
                NewTopic {
                    name: "t".to_owned(),
                    message_type: MessageType::Normal,
                    queue_count: None,
                    remark: None,
                },
            )
        })
        .unwrap();
    if activated {
        service.activate(&root).unwrap();
    }
    for role in ROLES {
        for grant in GRANTS {
            let name = user_name(role, grant);
            service
                .create_user(
                    &root,
                    NewUser {
                        name: name.clone(),
                        ..Default::default()
                    },
                )
                .unwrap();
            let scope = match grant {
                Grant::Account => Scope::Account,
                Grant::ResourceGroup => Scope::ResourceGroup(prod.id.clone()),
                Grant::OtherGroup => Scope::ResourceGroup(other.id.clone()),
            };
            service
                .attach(
                    &root,
                    &AttachRequest {
                        principals: vec![Principal::User(name)],
                        policies: vec![PolicyRef::system(role)],
                        scope,
                        // AliyunMQFullAccess allows a whole service on everything: high-risk.
                        confirm_high_risk: true,
                    },
                )
                .unwrap();
        }
    }
    Account {
        id: account.id,
        prod: prod.id,
        other: other.id,
    }
}

fn user_name(role: &str, grant: Grant) -> String {
    format!("{}-{:?}", role.trim_start_matches("AliyunMQ"), grant).to_lowercase()
}

fn attempt(service: &Service, caller: &Caller, op: Op) -> Result<(), ServiceError> {
    let topic = Resource::MqTopic {
        instance: "orders".to_owned(),
        topic: "t".to_owned(),
    };
    match op {
        Op::Send => service.authorize(caller, "mq:PUB", topic),
        Op::Consume => {
            service.authorize(caller, "mq:SUB", topic)?;
            service.authorize(
                caller,
                "mq:SUB",
                Resource::MqGroup {
                    instance: "orders".to_owned(),
                    group: "GID_app".to_owned(),
                },
            )
        }
        Op::ReadManagement => service.get_topic(caller, "orders", "t").map(|_| ()),
        Op::WriteManagement => service
            .create_topic(
                caller,
                "orders",
                NewTopic {
                    name: format!("new-{}", rand_suffix()),
                    message_type: MessageType::Normal,
                    queue_count: None,
                    remark: None,
                },
            )
            .map(|_| ()),
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn every_role_scope_and_activation_state_gets_its_expected_decision() {
    let fx = Fixture::new();
    let service = &fx.service;
    let active = setup(service, "active", true);
    let inactive = setup(service, "inactive", false);
    assert_ne!(active.prod, active.other);

    let mut checked = 0;
    let mut failures = Vec::new();
    for (account, activated) in [(&active, true), (&inactive, false)] {
        for role in ROLES {
            for grant in GRANTS {
                let caller = Caller {
                    account_id: account.id.clone(),
                    identity: Identity::User(user_name(role, grant)),
                    context: ctx(),
                };
                for op in OPS {
                    let expected_allowed =
                        activated && grant != Grant::OtherGroup && role_allows(role, op);
                    let result = attempt(service, &caller, op);
                    checked += 1;
                    let ok = matches!(
                        (&result, expected_allowed, activated),
                        (Ok(()), true, _)
                            | (Err(ServiceError::NotActivated { .. }), false, false)
                            | (Err(ServiceError::Denied(_)), false, true)
                    );
                    if !ok {
                        failures.push(format!(
                            "{role} granted at {grant:?}, activated={activated}, {op:?}: expected {}, got {result:?}",
                            if expected_allowed { "allowed" } else { "refused" }
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(checked, 96);
    assert!(
        failures.is_empty(),
        "{} of 96 cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_denial_explains_the_principal_action_and_resource() {
    let fx = Fixture::new();
    let acct = setup(&fx.service, "explain", true);
    let caller = Caller {
        account_id: acct.id.clone(),
        identity: Identity::User(user_name("AliyunMQPubOnlyAccess", Grant::Account)),
        context: ctx(),
    };
    let err = attempt(&fx.service, &caller, Op::Consume).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.code().as_str(), "NoPermission");
    assert!(text.contains("mq:SUB"), "{text}");
    assert!(text.contains("orders%t"), "{text}");
    assert!(text.contains("pubonlyaccess-account"), "{text}");
    assert!(text.contains("implicit"), "{text}");
}

#[test]
fn not_activated_refusal_names_activation_and_ram_still_works() {
    let fx = Fixture::new();
    let acct = setup(&fx.service, "dormant", false);
    let root = fx.root_of(&acct.id);
    let err = attempt(&fx.service, &root, Op::Send).unwrap_err();
    assert_eq!(err.code().as_str(), "ServiceNotActivated");
    assert!(err.to_string().contains("activate"), "{err}");
    // RAM actions are not gated: the root can prepare users before activation.
    fx.service
        .create_user(
            &root,
            NewUser {
                name: "early".to_owned(),
                ..Default::default()
            },
        )
        .unwrap();
    // Activation opens the messaging actions; activating twice is harmless.
    let first = fx.service.activate(&root).unwrap();
    assert!(!first.already_activated);
    assert!(attempt(&fx.service, &root, Op::Send).is_ok());
    let second = fx.service.activate(&root).unwrap();
    assert!(second.already_activated);
}
