//! Custom policies, versions and attachments.

mod common;

use common::{account, code, open};
use petrel_meta::{
    AttachmentFilter, MAX_CUSTOM_POLICIES_PER_PRINCIPAL, MAX_SYSTEM_POLICIES_PER_PRINCIPAL,
    NewGroup, NewPolicy, NewPolicyVersion, NewResourceGroup, NewUser, PolicyRef, PolicyType,
    Principal, RotateStrategy, Scope, Via,
};

fn doc(n: u32) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"mq:PUB","Resource":"*","Sid":"{n}"}}]}}"#
    )
}

fn policy(name: &str) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        description: Some("readers of topics".into()),
        document: doc(1),
    }
}

fn version(n: u32, set_as_default: bool, rotate: RotateStrategy) -> NewPolicyVersion {
    NewPolicyVersion {
        document: doc(n),
        set_as_default,
        rotate_strategy: rotate,
    }
}

#[test]
fn create_policy_makes_v1_default_and_names_are_unique() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let p = t
        .catalog
        .write(|tx| tx.create_policy(&acc.id, policy("readers")))
        .unwrap();
    assert_eq!(p.default_version, "v1");
    let v = t
        .catalog
        .read(|tx| tx.get_default_policy_version(&acc.id, "readers"))
        .unwrap();
    assert!(v.is_default);
    assert_eq!(v.document, doc(1));
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_policy(&acc.id, policy("readers")))
        ),
        "EntityAlreadyExists.Policy"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_policy(&acc.id, policy("bad_name")))
        ),
        "InvalidParameter.PolicyName.InvalidChars"
    );
    let too_long = NewPolicy {
        document: "x".repeat(6_145),
        ..policy("big")
    };
    assert_eq!(
        code(t.catalog.write(|tx| tx.create_policy(&acc.id, too_long))),
        "InvalidParameter.PolicyDocument.Length"
    );
    assert_eq!(
        code(t.catalog.read(|tx| tx.get_policy(&acc.id, "writers"))),
        "EntityNotExist.Policy"
    );
    let d = t
        .catalog
        .write(|tx| tx.update_policy_description(&acc.id, "readers", "new text"))
        .unwrap();
    assert_eq!(d.description, "new text");
}

#[test]
fn versions_are_limited_to_five_and_ids_are_never_reused() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_policy(&acc.id, policy("readers")))
        .unwrap();
    for n in 2..=5 {
        let v = t
            .catalog
            .write(|tx| {
                tx.create_policy_version(
                    &acc.id,
                    "readers",
                    version(n, false, RotateStrategy::None),
                )
            })
            .unwrap();
        assert_eq!(v.version_id, format!("v{n}"));
        assert!(!v.is_default);
    }
    let sixth = t.catalog.write(|tx| {
        tx.create_policy_version(&acc.id, "readers", version(6, false, RotateStrategy::None))
    });
    assert_eq!(code(sixth), "LimitExceeded.Policy.Version");

    t.catalog
        .write(|tx| tx.delete_policy_version(&acc.id, "readers", "v5"))
        .unwrap();
    let next = t
        .catalog
        .write(|tx| {
            tx.create_policy_version(&acc.id, "readers", version(6, true, RotateStrategy::None))
        })
        .unwrap();
    assert_eq!(
        next.version_id, "v6",
        "v5 was deleted but its id is not reused"
    );
    assert!(next.is_default);
    let p = t
        .catalog
        .read(|tx| tx.get_policy(&acc.id, "readers"))
        .unwrap();
    assert_eq!(p.default_version, "v6");
    let ids: Vec<String> = t
        .catalog
        .read(|tx| tx.list_policy_versions(&acc.id, "readers"))
        .unwrap()
        .into_iter()
        .map(|v| v.version_id)
        .collect();
    assert_eq!(ids, ["v1", "v2", "v3", "v4", "v6"]);
}

#[test]
fn rotation_deletes_the_oldest_non_default_version() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_policy(&acc.id, policy("readers")))
        .unwrap();
    for n in 2..=5 {
        t.catalog
            .write(|tx| {
                tx.create_policy_version(
                    &acc.id,
                    "readers",
                    version(n, false, RotateStrategy::None),
                )
            })
            .unwrap();
    }
    // v1 is the default, so v2 is the oldest non-default one.
    let rotate = RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded;
    let v6 = t
        .catalog
        .write(|tx| tx.create_policy_version(&acc.id, "readers", version(6, false, rotate)))
        .unwrap();
    assert_eq!(v6.version_id, "v6");
    let ids: Vec<String> = t
        .catalog
        .read(|tx| tx.list_policy_versions(&acc.id, "readers"))
        .unwrap()
        .into_iter()
        .map(|v| v.version_id)
        .collect();
    assert_eq!(ids, ["v1", "v3", "v4", "v5", "v6"]);
    assert_eq!(
        code(
            t.catalog
                .read(|tx| tx.get_policy_version(&acc.id, "readers", "v2"))
        ),
        "EntityNotExist.Policy.Version"
    );
}

#[test]
fn default_version_rules() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| {
            tx.create_policy(&acc.id, policy("readers"))?;
            tx.create_policy_version(&acc.id, "readers", version(2, false, RotateStrategy::None))
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.delete_policy_version(&acc.id, "readers", "v1"))
        ),
        "DeleteConflict.Policy.Version.Default"
    );
    t.catalog
        .write(|tx| tx.set_default_policy_version(&acc.id, "readers", "v2"))
        .unwrap();
    let d = t
        .catalog
        .read(|tx| tx.get_default_policy_version(&acc.id, "readers"))
        .unwrap();
    assert_eq!((d.version_id.as_str(), d.document), ("v2", doc(2)));
    t.catalog
        .write(|tx| tx.delete_policy_version(&acc.id, "readers", "v1"))
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.set_default_policy_version(&acc.id, "readers", "v9"))
        ),
        "EntityNotExist.Policy.Version"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.set_default_policy_version(&acc.id, "readers", "2"))
        ),
        "InvalidParameter.VersionId.Format"
    );
}

#[test]
fn delete_policy_refuses_while_attached_or_versioned_unless_cascading() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let readers = PolicyRef::custom("readers");
    t.catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.create_group(
                &acc.id,
                NewGroup {
                    name: "ops".into(),
                    comments: None,
                },
            )?;
            tx.create_policy(&acc.id, policy("readers"))?;
            tx.create_policy_version(&acc.id, "readers", version(2, false, RotateStrategy::None))?;
            tx.attach(
                &acc.id,
                &Principal::User("alice".into()),
                &readers,
                &Scope::Account,
            )?;
            tx.attach(
                &acc.id,
                &Principal::Group("ops".into()),
                &readers,
                &Scope::Account,
            )
        })
        .unwrap();
    assert_eq!(
        t.catalog
            .read(|tx| tx.policy_attachment_count(&acc.id, &readers))
            .unwrap(),
        2
    );
    let del = |cascade| {
        t.catalog
            .write(|tx| tx.delete_policy(&acc.id, "readers", cascade))
    };
    assert_eq!(code(del(false)), "DeleteConflict.Policy.User");
    t.catalog
        .write(|tx| {
            tx.detach(
                &acc.id,
                &Principal::User("alice".into()),
                &readers,
                &Scope::Account,
            )
        })
        .unwrap();
    assert_eq!(code(del(false)), "DeleteConflict.Policy.Group");
    t.catalog
        .write(|tx| {
            tx.detach(
                &acc.id,
                &Principal::Group("ops".into()),
                &readers,
                &Scope::Account,
            )
        })
        .unwrap();
    assert_eq!(code(del(false)), "DeleteConflict.Policy.Version");
    t.catalog
        .write(|tx| {
            tx.attach(
                &acc.id,
                &Principal::User("alice".into()),
                &readers,
                &Scope::Account,
            )
        })
        .unwrap();
    del(true).unwrap();
    t.catalog
        .read(|tx| {
            assert_eq!(
                code(tx.get_policy(&acc.id, "readers")),
                "EntityNotExist.Policy"
            );
            assert!(
                tx.list_attachments_for(&acc.id, &Principal::User("alice".into()))?
                    .is_empty()
            );
            Ok(())
        })
        .unwrap();
    // Recreating starts again at v1 with no leftover versions.
    t.catalog
        .write(|tx| tx.create_policy(&acc.id, policy("readers")))
        .unwrap();
    let vs = t
        .catalog
        .read(|tx| tx.list_policy_versions(&acc.id, "readers"))
        .unwrap();
    assert_eq!(vs.len(), 1);
}

#[test]
fn attachments_are_unique_and_checked() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let alice = Principal::User("alice".into());
    let ops = Principal::Group("ops".into());
    let full = PolicyRef::system("AliyunMQFullAccess");
    let rg = t
        .catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.create_group(
                &acc.id,
                NewGroup {
                    name: "ops".into(),
                    comments: None,
                },
            )?;
            tx.create_resource_group(
                &acc.id,
                NewResourceGroup {
                    name: "prod".into(),
                    display_name: None,
                },
            )
        })
        .unwrap();
    t.catalog
        .write(|tx| tx.attach(&acc.id, &alice, &full, &Scope::Account))
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.attach(&acc.id, &alice, &full, &Scope::Account))
        ),
        "EntityAlreadyExists.User.Policy"
    );
    // The same policy in another scope is a different attachment.
    let rg_scope = Scope::ResourceGroup(rg.id.clone());
    t.catalog
        .write(|tx| tx.attach(&acc.id, &alice, &full, &rg_scope))
        .unwrap();
    t.catalog
        .write(|tx| tx.attach(&acc.id, &ops, &full, &Scope::Account))
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.attach(&acc.id, &ops, &full, &Scope::Account))
        ),
        "EntityAlreadyExists.Group.Policy"
    );
    assert_eq!(
        code(t.catalog.write(|tx| tx.attach(
            &acc.id,
            &alice,
            &PolicyRef::custom("nope"),
            &Scope::Account
        ))),
        "EntityNotExist.Policy"
    );
    assert_eq!(
        code(t.catalog.write(|tx| tx.attach(
            &acc.id,
            &Principal::User("bob".into()),
            &full,
            &Scope::Account
        ))),
        "EntityNotExist.User"
    );
    assert_eq!(
        code(t.catalog.write(|tx| tx.attach(
            &acc.id,
            &Principal::Group("devs".into()),
            &full,
            &Scope::Account
        ))),
        "EntityNotExist.Group"
    );
    let missing_rg = Scope::ResourceGroup("rg-aaaaaaaaaaaaa".into());
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.attach(&acc.id, &alice, &full, &missing_rg))
        ),
        "EntityNotExists.ResourceGroup"
    );
    assert_eq!(
        code(t.catalog.write(|tx| tx.detach(
            &acc.id,
            &alice,
            &PolicyRef::system("AliyunRAMFullAccess"),
            &Scope::Account
        ))),
        "EntityNotExist.User.Policy"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.detach(&acc.id, &ops, &full, &rg_scope))
        ),
        "EntityNotExist.Group.Policy"
    );

    let filter = AttachmentFilter {
        scope: Some(rg_scope.clone()),
        ..Default::default()
    };
    let scoped = t
        .catalog
        .read(|tx| tx.list_attachments(&acc.id, &filter))
        .unwrap();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0].principal, alice);
    let by_policy = AttachmentFilter {
        policy_type: Some(PolicyType::System),
        policy_name: Some("AliyunMQFullAccess".into()),
        ..Default::default()
    };
    assert_eq!(
        t.catalog
            .read(|tx| tx.list_attachments(&acc.id, &by_policy))
            .unwrap()
            .len(),
        3
    );
    let by_principal = AttachmentFilter {
        principal: Some(ops.clone()),
        ..Default::default()
    };
    assert_eq!(
        t.catalog
            .read(|tx| tx.list_attachments(&acc.id, &by_principal))
            .unwrap()
            .len(),
        1
    );

    let entities = t
        .catalog
        .read(|tx| tx.entities_for_policy(&acc.id, &full))
        .unwrap();
    assert_eq!(
        entities.users.len(),
        2,
        "alice at account scope and in prod"
    );
    assert_eq!(entities.users[0].user.name, "alice");
    assert_eq!(entities.groups.len(), 1);
    assert_eq!(entities.groups[0].group.name, "ops");
}

#[test]
fn attachment_limits_are_twenty_system_and_ten_custom() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let alice = Principal::User("alice".into());
    t.catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            for i in 0..=MAX_CUSTOM_POLICIES_PER_PRINCIPAL {
                tx.create_policy(&acc.id, policy(&format!("custom-{i}")))?;
            }
            for i in 0..MAX_SYSTEM_POLICIES_PER_PRINCIPAL {
                tx.attach(
                    &acc.id,
                    &alice,
                    &PolicyRef::system(&format!("Sys{i}")),
                    &Scope::Account,
                )?;
            }
            for i in 0..MAX_CUSTOM_POLICIES_PER_PRINCIPAL {
                tx.attach(
                    &acc.id,
                    &alice,
                    &PolicyRef::custom(&format!("custom-{i}")),
                    &Scope::Account,
                )?;
            }
            Ok(())
        })
        .unwrap();
    let sys = t.catalog.write(|tx| {
        tx.attach(
            &acc.id,
            &alice,
            &PolicyRef::system("SysMore"),
            &Scope::Account,
        )
    });
    assert_eq!(code(sys), "LimitExceeded.User.Policy");
    let custom = PolicyRef::custom(&format!("custom-{MAX_CUSTOM_POLICIES_PER_PRINCIPAL}"));
    let cus = t
        .catalog
        .write(|tx| tx.attach(&acc.id, &alice, &custom, &Scope::Account));
    assert_eq!(code(cus), "LimitExceeded.User.Policy");
}

#[test]
fn user_attachments_include_those_of_its_groups() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let alice = Principal::User("alice".into());
    t.catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "bob".into(),
                    ..Default::default()
                },
            )?;
            for g in ["ops", "devs", "empty"] {
                tx.create_group(
                    &acc.id,
                    NewGroup {
                        name: g.into(),
                        comments: None,
                    },
                )?;
            }
            tx.add_user_to_group(&acc.id, "alice", "ops")?;
            tx.add_user_to_group(&acc.id, "alice", "devs")?;
            tx.add_user_to_group(&acc.id, "bob", "empty")?;
            tx.create_policy(&acc.id, policy("readers"))?;
            tx.attach(
                &acc.id,
                &alice,
                &PolicyRef::custom("readers"),
                &Scope::Account,
            )?;
            tx.attach(
                &acc.id,
                &Principal::Group("ops".into()),
                &PolicyRef::system("AliyunMQFullAccess"),
                &Scope::Account,
            )?;
            tx.attach(
                &acc.id,
                &Principal::Group("devs".into()),
                &PolicyRef::system("AliyunMQReadOnlyAccess"),
                &Scope::Account,
            )?;
            tx.attach(
                &acc.id,
                &Principal::User("bob".into()),
                &PolicyRef::system("AdministratorAccess"),
                &Scope::Account,
            )
        })
        .unwrap();
    let all = t
        .catalog
        .read(|tx| tx.attachments_for_user_with_groups(&acc.id, "alice"))
        .unwrap();
    let mut seen: Vec<(String, Via)> = all
        .iter()
        .map(|a| (a.attachment.policy.name.clone(), a.via.clone()))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            ("AliyunMQFullAccess".to_string(), Via::Group("ops".into())),
            (
                "AliyunMQReadOnlyAccess".to_string(),
                Via::Group("devs".into())
            ),
            ("readers".to_string(), Via::Direct),
        ]
    );
    let direct = t
        .catalog
        .read(|tx| tx.list_attachments_for(&acc.id, &alice))
        .unwrap();
    assert_eq!(direct.len(), 1);
    assert_eq!(
        code(
            t.catalog
                .read(|tx| tx.attachments_for_user_with_groups(&acc.id, "carol"))
        ),
        "EntityNotExist.User"
    );
}
