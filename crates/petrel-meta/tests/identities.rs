//! Accounts, activation, AccessKeys, RAM users, login profiles, console login and groups.

mod common;

use common::{ROOT_PASSWORD, account, code, open};
use petrel_meta::{
    AccessKeyStatus, GroupUpdate, LoginIdentity, LoginProfileUpdate, MAX_GROUPS_PER_USER,
    MetaError, NewAccount, NewGroup, NewLoginProfile, NewUser, Owner, PolicyRef, Principal, Scope,
    UserUpdate,
};

fn user(name: &str) -> NewUser {
    NewUser {
        name: name.into(),
        ..Default::default()
    }
}

#[test]
fn create_account_makes_default_group_and_one_root_key() {
    let t = open();
    let (acc, key) = account(&t.catalog, "acme");
    assert_eq!(acc.id.len(), 16);
    assert!(acc.id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(acc.root_login_name(), "root@acme");
    assert!(acc.enabled && !acc.is_activated());
    assert!(key.id.starts_with("LTAI") && key.id.len() == 24);
    assert_eq!(key.secret.expose().len(), 30);
    assert_eq!(key.access_key.owner, Owner::Root);
    t.catalog
        .read(|tx| {
            let rg = tx.default_resource_group(&acc.id)?;
            assert_eq!(rg.name, "default");
            assert!(rg.is_default);
            assert_eq!(rg.id, acc.default_resource_group_id);
            assert_eq!(tx.list_access_keys(&acc.id, &Owner::Root)?.len(), 1);
            assert_eq!(tx.find_account("acme")?.map(|a| a.id), Some(acc.id.clone()));
            assert_eq!(
                tx.find_account(&acc.id)?.map(|a| a.alias),
                Some("acme".into())
            );
            assert_eq!(tx.find_account("nobody")?, None);
            assert_eq!(tx.list_accounts()?.len(), 1);
            Ok(())
        })
        .unwrap();
}

#[test]
fn account_alias_must_be_unique_and_valid() {
    let t = open();
    account(&t.catalog, "acme");
    let h = t.catalog.hash_password(ROOT_PASSWORD).unwrap();
    let dup = t.catalog.write(|tx| {
        tx.create_account(NewAccount {
            alias: "acme".into(),
            root_password: h.clone(),
        })
    });
    assert_eq!(code(dup), "EntityAlreadyExists.AccountAlias");
    let bad = t.catalog.write(|tx| {
        tx.create_account(NewAccount {
            alias: "Acme!".into(),
            root_password: h.clone(),
        })
    });
    assert_eq!(code(bad), "InvalidParameter.AccountAlias.InvalidChars");
    let missing = t.catalog.read(|tx| tx.get_account("1234567890123456"));
    assert_eq!(code(missing), "EntityNotExist.Account");
}

#[test]
fn activation_is_idempotent_and_reports_the_first_one() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let first = t
        .catalog
        .write(|tx| tx.activate(&acc.id, "2024-01"))
        .unwrap();
    assert!(!first.already_activated);
    let second = t
        .catalog
        .write(|tx| tx.activate(&acc.id, "2025-02"))
        .unwrap();
    assert!(second.already_activated);
    assert_eq!(second.activation, first.activation);
    assert_eq!(second.activation.terms_version, "2024-01");
    let stored = t.catalog.read(|tx| tx.get_account(&acc.id)).unwrap();
    assert_eq!(stored.activation, Some(first.activation));
}

#[test]
fn access_keys_are_limited_to_two_per_owner() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_user(&acc.id, user("alice")))
        .unwrap();
    let alice = Owner::User("alice".into());
    for _ in 0..2 {
        t.catalog
            .write(|tx| tx.create_access_key(&acc.id, &alice))
            .unwrap();
    }
    let third = t.catalog.write(|tx| tx.create_access_key(&acc.id, &alice));
    assert_eq!(code(third), "LimitExceeded.User.AccessKey");
    t.catalog
        .write(|tx| tx.create_access_key(&acc.id, &Owner::Root))
        .unwrap();
    let root_third = t
        .catalog
        .write(|tx| tx.create_access_key(&acc.id, &Owner::Root));
    assert_eq!(code(root_third), "LimitExceeded.User.AccessKey");
    let nobody = t
        .catalog
        .write(|tx| tx.create_access_key(&acc.id, &Owner::User("bob".into())));
    assert_eq!(code(nobody), "EntityNotExist.User");
}

#[test]
fn access_key_lookup_unseals_the_secret_and_status_changes_stick() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_user(&acc.id, user("alice")))
        .unwrap();
    let alice = Owner::User("alice".into());
    let created = t
        .catalog
        .write(|tx| tx.create_access_key(&acc.id, &alice))
        .unwrap();
    let auth = t
        .catalog
        .authenticate_access_key(&created.id)
        .unwrap()
        .expect("key exists");
    assert_eq!(auth.secret, created.secret);
    assert_eq!(auth.access_key.account_id, acc.id);
    assert_eq!(auth.account.id, acc.id);
    assert_eq!(auth.access_key.owner, alice);
    assert!(!format!("{auth:?}").contains(created.secret.expose()));
    let record = t
        .catalog
        .read(|tx| tx.lookup_access_key(&created.id))
        .unwrap()
        .unwrap();
    assert_eq!(t.catalog.unseal_secret(&record).unwrap(), created.secret);
    assert!(!format!("{record:?}").contains(created.secret.expose()));
    assert!(!format!("{created:?}").contains(created.secret.expose()));

    let updated = t
        .catalog
        .write(|tx| {
            tx.set_access_key_status(&acc.id, &alice, &created.id, AccessKeyStatus::Inactive)
        })
        .unwrap();
    assert_eq!(updated.status, AccessKeyStatus::Inactive);
    let at = time::OffsetDateTime::now_utc();
    t.catalog
        .write(|tx| tx.touch_access_key(&created.id, at))
        .unwrap();
    let again = t
        .catalog
        .read(|tx| tx.lookup_access_key(&created.id))
        .unwrap()
        .unwrap();
    assert_eq!(again.access_key.status, AccessKeyStatus::Inactive);
    assert!(again.access_key.last_used_at.is_some());

    // The key is the user's: asking for it as the root's is "not found".
    let as_root = t
        .catalog
        .read(|tx| tx.get_access_key(&acc.id, &Owner::Root, &created.id));
    assert_eq!(code(as_root), "EntityNotExist.User.AccessKey");
    t.catalog
        .write(|tx| tx.delete_access_key(&acc.id, &alice, &created.id))
        .unwrap();
    assert!(
        t.catalog
            .authenticate_access_key(&created.id)
            .unwrap()
            .is_none()
    );
    let gone = t
        .catalog
        .write(|tx| tx.delete_access_key(&acc.id, &alice, &created.id));
    assert_eq!(code(gone), "EntityNotExist.User.AccessKey");
}

#[test]
fn user_crud_and_error_codes() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let alice = t
        .catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    display_name: Some("Alice Ä".into()),
                    email: Some("alice@example.com".into()),
                    mobile_phone: Some("86-18600008888".into()),
                    comments: Some("ops".into()),
                },
            )
        })
        .unwrap();
    assert_eq!(alice.user_id.len(), 16);
    assert_eq!(alice.display_name, "Alice Ä");
    let dup = t.catalog.write(|tx| tx.create_user(&acc.id, user("alice")));
    assert_eq!(code(dup), "EntityAlreadyExists.User");
    let long = t
        .catalog
        .write(|tx| tx.create_user(&acc.id, user(&"a".repeat(65))));
    assert_eq!(code(long), "InvalidParameter.UserName.Length");
    let chars = t
        .catalog
        .write(|tx| tx.create_user(&acc.id, user("al/ice")));
    assert_eq!(code(chars), "InvalidParameter.UserName.InvalidChars");
    let email = t.catalog.write(|tx| {
        tx.create_user(
            &acc.id,
            NewUser {
                name: "bob".into(),
                email: Some("nope".into()),
                ..Default::default()
            },
        )
    });
    assert_eq!(code(email), "InvalidParameter.Email.Format");
    let comments = t.catalog.write(|tx| {
        tx.create_user(
            &acc.id,
            NewUser {
                name: "bob".into(),
                comments: Some("x".repeat(129)),
                ..Default::default()
            },
        )
    });
    assert_eq!(code(comments), "InvalidParameter.Comments.Length");

    let missing = t.catalog.read(|tx| tx.get_user(&acc.id, "bob"));
    let err = missing.unwrap_err();
    assert_eq!(err.code().as_str(), "EntityNotExist.User");
    assert_eq!(
        err.to_string(),
        format!("user `bob` does not exist in account `{}`", acc.id)
    );

    let updated = t
        .catalog
        .write(|tx| {
            tx.update_user(
                &acc.id,
                "alice",
                UserUpdate {
                    display_name: Some("Alice".into()),
                    comments: Some(String::new()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(updated.display_name, "Alice");
    assert_eq!(updated.comments, "");
    assert_eq!(updated.email, "alice@example.com");
    assert_eq!(
        t.catalog.read(|tx| tx.list_users(&acc.id)).unwrap().len(),
        1
    );
    let found = t
        .catalog
        .read(|tx| tx.find_user_by_id(&alice.user_id))
        .unwrap();
    assert_eq!(
        found.map(|(a, u)| (a, u.name)),
        Some((acc.id.clone(), "alice".into()))
    );
}

#[test]
fn renaming_a_user_carries_keys_profile_groups_and_policies() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let pw = t.catalog.hash_password("Passw0rd-1").unwrap();
    let key = t
        .catalog
        .write(|tx| {
            tx.create_user(&acc.id, user("alice"))?;
            tx.create_group(
                &acc.id,
                NewGroup {
                    name: "ops".into(),
                    comments: None,
                },
            )?;
            tx.add_user_to_group(&acc.id, "alice", "ops")?;
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw,
                    password_reset_required: false,
                    mfa_bind_required: false,
                },
            )?;
            tx.attach(
                &acc.id,
                &Principal::User("alice".into()),
                &PolicyRef::system("AliyunMQReadOnlyAccess"),
                &Scope::Account,
            )?;
            tx.create_access_key(&acc.id, &Owner::User("alice".into()))
        })
        .unwrap();
    t.catalog
        .write(|tx| {
            tx.update_user(
                &acc.id,
                "alice",
                UserUpdate {
                    new_name: Some("alice2".into()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    t.catalog
        .read(|tx| {
            assert_eq!(code(tx.get_user(&acc.id, "alice")), "EntityNotExist.User");
            let owner = Owner::User("alice2".into());
            assert_eq!(tx.list_access_keys(&acc.id, &owner)?.len(), 1);
            let rec = tx.lookup_access_key(&key.id)?.unwrap();
            assert_eq!(rec.access_key.owner, owner);
            assert_eq!(tx.get_login_profile(&acc.id, "alice2")?.user_name, "alice2");
            assert_eq!(tx.list_groups_for_user(&acc.id, "alice2")?.len(), 1);
            assert_eq!(
                tx.list_users_for_group(&acc.id, "ops")?[0].user.name,
                "alice2"
            );
            let p = tx.list_attachments_for(&acc.id, &Principal::User("alice2".into()))?;
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].principal, Principal::User("alice2".into()));
            Ok(())
        })
        .unwrap();
    let auth = t.catalog.authenticate_access_key(&key.id).unwrap().unwrap();
    assert_eq!(auth.secret, key.secret);
    let login = t
        .catalog
        .verify_login("acme", "alice2", "Passw0rd-1")
        .unwrap();
    assert!(matches!(login.identity, LoginIdentity::User { ref name, .. } if name == "alice2"));
}

#[test]
fn deleting_a_user_refuses_while_it_owns_things_unless_forced() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let pw = t.catalog.hash_password("Passw0rd-1").unwrap();
    let alice = Owner::User("alice".into());
    let key = t
        .catalog
        .write(|tx| {
            tx.create_user(&acc.id, user("alice"))?;
            tx.create_access_key(&acc.id, &alice)
        })
        .unwrap();
    let del = |force| {
        t.catalog
            .write(|tx| tx.delete_user(&acc.id, "alice", force))
    };
    assert_eq!(code(del(false)), "DeleteConflict.User.AccessKey");
    t.catalog
        .write(|tx| tx.delete_access_key(&acc.id, &alice, &key.id))
        .unwrap();

    t.catalog
        .write(|tx| {
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw.clone(),
                    password_reset_required: true,
                    mfa_bind_required: false,
                },
            )
        })
        .unwrap();
    assert_eq!(code(del(false)), "DeleteConflict.User.LoginProfile");
    t.catalog
        .write(|tx| tx.delete_login_profile(&acc.id, "alice"))
        .unwrap();

    t.catalog
        .write(|tx| {
            tx.create_group(
                &acc.id,
                NewGroup {
                    name: "ops".into(),
                    comments: None,
                },
            )?;
            tx.add_user_to_group(&acc.id, "alice", "ops")
        })
        .unwrap();
    assert_eq!(code(del(false)), "DeleteConflict.User.Group");
    t.catalog
        .write(|tx| tx.remove_user_from_group(&acc.id, "alice", "ops"))
        .unwrap();

    let principal = Principal::User("alice".into());
    let policy = PolicyRef::system("AliyunMQFullAccess");
    t.catalog
        .write(|tx| tx.attach(&acc.id, &principal, &policy, &Scope::Account))
        .unwrap();
    assert_eq!(code(del(false)), "DeleteConflict.User.Policy");

    // Force removes everything at once, including a fresh key, profile and membership.
    let key2 = t
        .catalog
        .write(|tx| {
            tx.add_user_to_group(&acc.id, "alice", "ops")?;
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw.clone(),
                    password_reset_required: false,
                    mfa_bind_required: false,
                },
            )?;
            tx.create_access_key(&acc.id, &alice)
        })
        .unwrap();
    del(true).unwrap();
    t.catalog
        .read(|tx| {
            assert_eq!(code(tx.get_user(&acc.id, "alice")), "EntityNotExist.User");
            assert!(tx.lookup_access_key(&key2.id)?.is_none());
            assert!(tx.list_users_for_group(&acc.id, "ops")?.is_empty());
            assert!(tx.entities_for_policy(&acc.id, &policy)?.users.is_empty());
            Ok(())
        })
        .unwrap();
    // The name is free again, and the new user starts with nothing.
    t.catalog
        .write(|tx| tx.create_user(&acc.id, user("alice")))
        .unwrap();
    let fresh = t
        .catalog
        .read(|tx| tx.attachments_for_user_with_groups(&acc.id, "alice"))
        .unwrap();
    assert!(fresh.is_empty());
}

#[test]
fn login_profiles_have_their_own_error_codes() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_user(&acc.id, user("alice")))
        .unwrap();
    assert_eq!(
        code(t.catalog.read(|tx| tx.get_login_profile(&acc.id, "alice"))),
        "EntityNotExist.User.LoginProfile"
    );
    let pw = t.catalog.hash_password("Passw0rd-1").unwrap();
    let new = NewLoginProfile {
        password: pw,
        password_reset_required: true,
        mfa_bind_required: true,
    };
    t.catalog
        .write(|tx| tx.create_login_profile(&acc.id, "alice", new.clone()))
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_login_profile(&acc.id, "alice", new.clone()))
        ),
        "EntityAlreadyExists.User.LoginProfile"
    );
    let p = t
        .catalog
        .write(|tx| {
            tx.update_login_profile(
                &acc.id,
                "alice",
                LoginProfileUpdate {
                    password_reset_required: Some(false),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert!(!p.password_reset_required && p.mfa_bind_required);
    assert_eq!(
        code(t.catalog.hash_password("weak")),
        "InvalidParameter.Password.TooWeak"
    );
    assert_eq!(
        code(t.catalog.hash_password("onlyletters")),
        "InvalidParameter.Password.TooWeak"
    );
}

#[test]
fn console_login_accepts_root_and_users_and_hides_which_part_was_wrong() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let pw = t.catalog.hash_password("Passw0rd-1").unwrap();
    t.catalog
        .write(|tx| {
            tx.create_user(&acc.id, user("alice"))?;
            tx.create_user(&acc.id, user("root"))?;
            tx.create_user(&acc.id, user("nologin"))?;
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw,
                    password_reset_required: true,
                    mfa_bind_required: false,
                },
            )
        })
        .unwrap();
    let c = &t.catalog;
    let root = c.verify_login("acme", "root@acme", ROOT_PASSWORD).unwrap();
    assert_eq!(root.identity, LoginIdentity::Root);
    assert!(root.account.root_last_login_at.is_some());
    assert_eq!(
        c.verify_login("", "root@acme", ROOT_PASSWORD)
            .unwrap()
            .identity,
        LoginIdentity::Root
    );
    assert_eq!(
        c.verify_login(&acc.id, "root@acme", ROOT_PASSWORD)
            .unwrap()
            .identity,
        LoginIdentity::Root
    );
    let alice = c
        .verify_login("", "alice@acme.onaliyun.com", "Passw0rd-1")
        .unwrap();
    assert!(alice.password_reset_required);
    assert!(matches!(alice.identity, LoginIdentity::User { ref name, .. } if name == "alice"));
    c.verify_login("acme", "alice", "Passw0rd-1").unwrap();
    let stamped = c.read(|tx| tx.get_user(&acc.id, "alice")).unwrap();
    assert!(stamped.last_login_at.is_some());

    for (account, name, password) in [
        ("acme", "alice", "Passw0rd-2"),
        ("acme", "bob", "Passw0rd-1"),
        ("acme", "nologin", "Passw0rd-1"),
        ("acme", "root", ROOT_PASSWORD),
        ("other", "alice", "Passw0rd-1"),
        ("acme", "alice@other", "Passw0rd-1"),
        ("", "alice", "Passw0rd-1"),
        ("acme", "root@acme", "Passw0rd-1"),
    ] {
        let r = c.verify_login(account, name, password);
        assert!(
            matches!(r, Err(MetaError::InvalidCredentials)),
            "{account}/{name}: {r:?}"
        );
    }
    c.write(|tx| tx.set_account_enabled(&acc.id, false))
        .unwrap();
    assert_eq!(
        code(c.verify_login("acme", "root@acme", ROOT_PASSWORD)),
        "Account.Disabled"
    );
    // A wrong password to a disabled account still says only "invalid".
    assert_eq!(
        code(c.verify_login("acme", "root@acme", "Wrong-passw0rd")),
        "InvalidCredentials"
    );
}

#[test]
fn alias_change_moves_the_root_login_name() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let changed = t
        .catalog
        .write(|tx| tx.set_account_alias(&acc.id, "acme2"))
        .unwrap();
    assert_eq!(changed.root_login_name(), "root@acme2");
    assert!(
        t.catalog
            .verify_login("", "root@acme2", ROOT_PASSWORD)
            .is_ok()
    );
    assert!(
        t.catalog
            .verify_login("", "root@acme", ROOT_PASSWORD)
            .is_err()
    );
    let new_pw = t.catalog.hash_password("N3w-root-pass").unwrap();
    t.catalog
        .write(|tx| tx.set_root_password(&acc.id, &new_pw))
        .unwrap();
    assert!(
        t.catalog
            .verify_login("acme2", "root@acme2", "N3w-root-pass")
            .is_ok()
    );
}

#[test]
fn groups_membership_limits_and_delete_conflicts() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| {
            tx.create_user(&acc.id, user("alice"))?;
            for i in 0..=MAX_GROUPS_PER_USER {
                tx.create_group(
                    &acc.id,
                    NewGroup {
                        name: format!("g{i}"),
                        comments: Some("c".into()),
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let dup = t.catalog.write(|tx| {
        tx.create_group(
            &acc.id,
            NewGroup {
                name: "g0".into(),
                comments: None,
            },
        )
    });
    assert_eq!(code(dup), "EntityAlreadyExists.Group");
    let bad = t.catalog.write(|tx| {
        tx.create_group(
            &acc.id,
            NewGroup {
                name: "g_0".into(),
                comments: None,
            },
        )
    });
    assert_eq!(code(bad), "InvalidParameter.GroupName.InvalidChars");
    for i in 0..MAX_GROUPS_PER_USER {
        t.catalog
            .write(|tx| tx.add_user_to_group(&acc.id, "alice", &format!("g{i}")))
            .unwrap();
    }
    let again = t
        .catalog
        .write(|tx| tx.add_user_to_group(&acc.id, "alice", "g0"));
    assert_eq!(code(again), "EntityAlreadyExists.User.Group");
    let eleventh = t
        .catalog
        .write(|tx| tx.add_user_to_group(&acc.id, "alice", &format!("g{MAX_GROUPS_PER_USER}")));
    assert_eq!(code(eleventh), "LimitExceeded.User.Group");
    let not_member = t.catalog.write(|tx| {
        tx.remove_user_from_group(&acc.id, "alice", &format!("g{MAX_GROUPS_PER_USER}"))
    });
    assert_eq!(code(not_member), "EntityNotExist.User.Group");
    let no_group = t.catalog.read(|tx| tx.get_group(&acc.id, "nope"));
    assert_eq!(code(no_group), "EntityNotExist.Group");

    assert_eq!(
        code(t.catalog.write(|tx| tx.delete_group(&acc.id, "g0", false))),
        "DeleteConflict.Group.User"
    );
    t.catalog
        .write(|tx| tx.remove_user_from_group(&acc.id, "alice", "g0"))
        .unwrap();
    t.catalog
        .write(|tx| {
            tx.attach(
                &acc.id,
                &Principal::Group("g0".into()),
                &PolicyRef::system("AliyunMQFullAccess"),
                &Scope::Account,
            )
        })
        .unwrap();
    assert_eq!(
        code(t.catalog.write(|tx| tx.delete_group(&acc.id, "g0", false))),
        "DeleteConflict.Group.Policy"
    );
    t.catalog
        .write(|tx| tx.delete_group(&acc.id, "g0", true))
        .unwrap();
    t.catalog
        .write(|tx| tx.delete_group(&acc.id, "g1", true))
        .unwrap();
    let groups = t
        .catalog
        .read(|tx| tx.list_groups_for_user(&acc.id, "alice"))
        .unwrap();
    assert_eq!(groups.len(), MAX_GROUPS_PER_USER - 2);
    let all = t
        .catalog
        .read(|tx| tx.list_attachments(&acc.id, &Default::default()))
        .unwrap();
    assert!(all.is_empty());
}

#[test]
fn renaming_a_group_carries_members_and_policies() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| {
            tx.create_user(&acc.id, user("alice"))?;
            tx.create_group(
                &acc.id,
                NewGroup {
                    name: "ops".into(),
                    comments: None,
                },
            )?;
            tx.add_user_to_group(&acc.id, "alice", "ops")?;
            tx.attach(
                &acc.id,
                &Principal::Group("ops".into()),
                &PolicyRef::system("AliyunMQFullAccess"),
                &Scope::Account,
            )?;
            tx.update_group(
                &acc.id,
                "ops",
                GroupUpdate {
                    new_name: Some("sre".into()),
                    comments: Some("site reliability".into()),
                },
            )
        })
        .unwrap();
    let via = t
        .catalog
        .read(|tx| tx.attachments_for_user_with_groups(&acc.id, "alice"))
        .unwrap();
    assert_eq!(via.len(), 1);
    assert_eq!(via[0].via, petrel_meta::Via::Group("sre".into()));
    assert_eq!(via[0].attachment.principal, Principal::Group("sre".into()));
    let g = t.catalog.read(|tx| tx.get_group(&acc.id, "sre")).unwrap();
    assert_eq!(g.comments, "site reliability");
}
