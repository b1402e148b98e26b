//! The catalogue as a whole: atomic writes, persistence, the master key, secrets at rest, the
//! schema version, account isolation and the audit log.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{ROOT_PASSWORD, account, code, open, reopen};
use petrel_meta::{
    AuditFilter, AuditPrincipal, AuditSource, MASTER_KEY_FILE, META_FILE, MetaError,
    NewAuditRecord, NewInstance, NewLoginProfile, NewPolicy, NewResourceGroup, NewUser, Outcome,
    Owner, PolicyRef, Principal, PrincipalKind, SCHEMA_VERSION, Scope,
};

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let r: Result<(), MetaError> = t.catalog.write(|tx| {
        tx.create_user(
            &acc.id,
            NewUser {
                name: "alice".into(),
                ..Default::default()
            },
        )?;
        tx.create_access_key(&acc.id, &Owner::User("alice".into()))?;
        tx.attach(
            &acc.id,
            &Principal::User("alice".into()),
            &PolicyRef::system("AliyunMQFullAccess"),
            &Scope::Account,
        )?;
        // Fails: the custom policy does not exist. Everything above must be rolled back.
        tx.attach(
            &acc.id,
            &Principal::User("alice".into()),
            &PolicyRef::custom("missing"),
            &Scope::Account,
        )?;
        Ok(())
    });
    assert_eq!(code(r), "EntityNotExist.Policy");
    t.catalog
        .read(|tx| {
            assert_eq!(code(tx.get_user(&acc.id, "alice")), "EntityNotExist.User");
            assert!(
                tx.list_attachments(&acc.id, &Default::default())?
                    .is_empty()
            );
            assert!(tx.list_users(&acc.id)?.is_empty());
            Ok(())
        })
        .unwrap();
    // A write sees its own changes before commit.
    t.catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "bob".into(),
                    ..Default::default()
                },
            )?;
            assert_eq!(tx.get_user(&acc.id, "bob")?.name, "bob");
            Ok(())
        })
        .unwrap();
}

#[test]
fn data_and_secrets_survive_a_reopen() {
    let t = open();
    let (acc, root_key) = account(&t.catalog, "acme");
    let pw = t.catalog.hash_password("Passw0rd-1").unwrap();
    let user_key = t
        .catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw,
                    password_reset_required: false,
                    mfa_bind_required: false,
                },
            )?;
            tx.create_policy(
                &acc.id,
                NewPolicy {
                    name: "readers".into(),
                    description: None,
                    document: "{}".into(),
                },
            )?;
            tx.create_access_key(&acc.id, &Owner::User("alice".into()))
        })
        .unwrap();
    let dir = t.dir.path().to_owned();
    drop(t.catalog);
    let c = reopen(&dir).unwrap();
    let root = c.authenticate_access_key(&root_key.id).unwrap().unwrap();
    assert_eq!(root.secret, root_key.secret);
    assert_eq!(root.account.alias, "acme");
    let user = c.authenticate_access_key(&user_key.id).unwrap().unwrap();
    assert_eq!(user.secret, user_key.secret);
    assert_eq!(user.access_key.owner, Owner::User("alice".into()));
    c.verify_login("acme", "alice", "Passw0rd-1").unwrap();
    c.verify_login("acme", "root@acme", ROOT_PASSWORD).unwrap();
    c.read(|tx| {
        assert_eq!(tx.get_policy(&acc.id, "readers")?.default_version, "v1");
        assert_eq!(tx.default_resource_group(&acc.id)?.name, "default");
        Ok(())
    })
    .unwrap();
}

#[test]
fn master_key_is_created_private_and_unsafe_keys_are_refused() {
    let t = open();
    account(&t.catalog, "acme");
    let key_path = t.dir.path().join(MASTER_KEY_FILE);
    let meta = std::fs::metadata(&key_path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);
    let db_meta = std::fs::metadata(t.dir.path().join(META_FILE)).unwrap();
    assert_eq!(db_meta.permissions().mode() & 0o077, 0);
    let dir = t.dir.path().to_owned();
    drop(t.catalog);

    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = reopen(&dir).unwrap_err();
    assert!(matches!(err, MetaError::MasterKey { .. }), "{err}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    let original = std::fs::read(&key_path).unwrap();
    std::fs::write(&key_path, &original[..16]).unwrap();
    let err = reopen(&dir).unwrap_err();
    assert!(
        err.to_string().contains("16 bytes long, expected 32"),
        "{err}"
    );

    std::fs::remove_file(&key_path).unwrap();
    let err = reopen(&dir).unwrap_err();
    assert!(err.to_string().contains("is missing"), "{err}");
    assert!(
        !key_path.exists(),
        "a missing key must not be silently replaced"
    );

    std::fs::write(&key_path, original).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    reopen(&dir).unwrap();
}

#[test]
fn a_different_master_key_is_refused_and_cannot_unseal() {
    let t = open();
    let (acc, key) = account(&t.catalog, "acme");
    let record = t
        .catalog
        .read(|tx| tx.lookup_access_key(&key.id))
        .unwrap()
        .unwrap();
    let dir = t.dir.path().to_owned();
    drop(t.catalog);
    let key_path = dir.join(MASTER_KEY_FILE);
    std::fs::write(&key_path, [9u8; 32]).unwrap();
    let err = reopen(&dir).unwrap_err();
    assert!(matches!(err, MetaError::MasterKey { .. }));
    assert!(err.to_string().contains("is not the key catalog"), "{err}");

    // A sealed record carried to another catalogue (another master key) does not open there.
    let other = open();
    let err = other.catalog.unseal_secret(&record).unwrap_err();
    assert!(matches!(err, MetaError::Unseal { .. }));
    assert_eq!(err.code().as_str(), "InternalError");
    assert!(err.to_string().contains(&key.id), "{err}");
    assert!(!err.to_string().contains(key.secret.expose()));
    let _ = acc;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_catalog_file_holds_no_plaintext_secret_or_password() {
    let t = open();
    let (acc, root_key) = account(&t.catalog, "acme");
    let user_password = "Us3r-password-zz";
    let pw = t.catalog.hash_password(user_password).unwrap();
    let user_key = t
        .catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.create_login_profile(
                &acc.id,
                "alice",
                NewLoginProfile {
                    password: pw,
                    password_reset_required: false,
                    mfa_bind_required: false,
                },
            )?;
            tx.create_access_key(&acc.id, &Owner::User("alice".into()))
        })
        .unwrap();
    let dir = t.dir.path().to_owned();
    drop(t.catalog);
    let bytes = std::fs::read(dir.join(META_FILE)).unwrap();
    assert!(
        contains(&bytes, root_key.id.as_bytes()),
        "sanity: ids are stored"
    );
    for secret in [
        root_key.secret.expose(),
        user_key.secret.expose(),
        ROOT_PASSWORD,
        user_password,
    ] {
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "plaintext found in meta.redb"
        );
    }
    let key = std::fs::read(dir.join(MASTER_KEY_FILE)).unwrap();
    assert!(
        !contains(&bytes, &key),
        "the master key must not be in the catalog"
    );
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let t = open();
    let dir = t.dir.path().to_owned();
    drop(t.catalog);
    {
        use redb::ReadableDatabase as _;
        let db = redb::Database::create(dir.join(META_FILE)).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let meta: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
            let mut table = tx.open_table(meta).unwrap();
            table
                .insert(petrel_meta::schema::SCHEMA_VERSION_KEY, SCHEMA_VERSION + 1)
                .unwrap();
        }
        tx.commit().unwrap();
        let _ = db.begin_read().unwrap();
    }
    let err = reopen(&dir).unwrap_err();
    assert!(matches!(err, MetaError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(
        err.to_string()
            .contains("newer than the 1 this binary supports"),
        "{err}"
    );
}

#[test]
fn accounts_are_isolated_even_with_identical_names() {
    let t = open();
    let c = &t.catalog;
    let (a, _) = account(c, "acme");
    let (b, _) = account(c, "globex");
    let mut rgs = Vec::new();
    for acc in [&a, &b] {
        let rg = c
            .write(|tx| {
                tx.create_user(
                    &acc.id,
                    NewUser {
                        name: "alice".into(),
                        ..Default::default()
                    },
                )?;
                tx.create_policy(
                    &acc.id,
                    NewPolicy {
                        name: "readers".into(),
                        description: Some(acc.alias.clone()),
                        document: format!("{{\"owner\":\"{}\"}}", acc.alias),
                    },
                )?;
                let rg = tx.create_resource_group(
                    &acc.id,
                    NewResourceGroup {
                        name: "prod".into(),
                        display_name: None,
                    },
                )?;
                tx.create_instance(
                    &acc.id,
                    NewInstance {
                        id: Some("orders".into()),
                        name: acc.alias.clone(),
                        resource_group_id: Some(rg.id.clone()),
                        remark: None,
                    },
                )?;
                tx.attach(
                    &acc.id,
                    &Principal::User("alice".into()),
                    &PolicyRef::custom("readers"),
                    &Scope::ResourceGroup(rg.id.clone()),
                )?;
                Ok(rg)
            })
            .unwrap();
        rgs.push(rg);
    }
    c.read(|tx| {
        for (acc, rg) in [(&a, &rgs[0]), (&b, &rgs[1])] {
            assert_eq!(tx.get_policy(&acc.id, "readers")?.description, acc.alias);
            assert_eq!(tx.get_instance(&acc.id, "orders")?.name, acc.alias);
            assert_eq!(tx.resource_group_of_instance(&acc.id, "orders")?, rg.id);
            let via = tx.attachments_for_user_with_groups(&acc.id, "alice")?;
            assert_eq!(via.len(), 1);
            assert_eq!(via[0].attachment.scope, Scope::ResourceGroup(rg.id.clone()));
            assert_eq!(tx.list_users(&acc.id)?.len(), 1);
        }
        // An id from one account is unknown in the other.
        assert_eq!(
            code(tx.get_resource_group(&b.id, &rgs[0].id)),
            "EntityNotExists.ResourceGroup"
        );
        assert_ne!(
            tx.get_user(&a.id, "alice")?.user_id,
            tx.get_user(&b.id, "alice")?.user_id
        );
        Ok(())
    })
    .unwrap();
    // Moving b's instance into a's resource group is refused.
    assert_eq!(
        code(c.write(|tx| tx.change_resource_group(&b.id, "orders", &rgs[0].id))),
        "EntityNotExists.ResourceGroup"
    );
    // Deleting a's things leaves b's untouched.
    c.write(|tx| {
        tx.delete_user(&a.id, "alice", true)?;
        tx.delete_policy(&a.id, "readers", true)?;
        tx.delete_instance(&a.id, "orders", true)
    })
    .unwrap();
    c.read(|tx| {
        assert!(tx.get_user(&b.id, "alice").is_ok());
        assert!(tx.get_policy(&b.id, "readers").is_ok());
        assert!(tx.get_instance(&b.id, "orders").is_ok());
        assert_eq!(
            tx.attachments_for_user_with_groups(&b.id, "alice")?.len(),
            1
        );
        Ok(())
    })
    .unwrap();
    // A's AccessKey cannot be managed through b.
    let a_key = c
        .read(|tx| tx.list_access_keys(&a.id, &Owner::Root))
        .unwrap();
    assert_eq!(
        code(c.write(|tx| tx.delete_access_key(&b.id, &Owner::Root, &a_key[0].id))),
        "EntityNotExist.User.AccessKey"
    );
}

fn audit(
    account: &str,
    who: &str,
    action: &str,
    outcome: Outcome,
    source: AuditSource,
) -> NewAuditRecord {
    NewAuditRecord {
        account_id: account.into(),
        principal: AuditPrincipal {
            kind: PrincipalKind::User,
            display: who.into(),
        },
        action: action.into(),
        resource: format!("acs:ram:*:{account}:user/{who}"),
        outcome,
        reason: "because".into(),
        request_id: "req-1".into(),
        source,
    }
}

#[test]
fn audit_lists_newest_first_with_filters_and_paging() {
    let t = open();
    let (a, _) = account(&t.catalog, "acme");
    let (b, _) = account(&t.catalog, "globex");
    let mut seqs = Vec::new();
    for i in 0..6 {
        let outcome = if i % 2 == 0 {
            Outcome::Allowed
        } else {
            Outcome::Denied
        };
        let r = t
            .catalog
            .write(|tx| {
                tx.append_audit(audit(
                    &a.id,
                    if i < 3 { "alice" } else { "bob" },
                    "ram:CreateUser",
                    outcome,
                    AuditSource::OpenApi,
                ))
            })
            .unwrap();
        seqs.push(r.seq);
        t.catalog
            .write(|tx| {
                tx.append_audit(audit(
                    &b.id,
                    "carol",
                    "mq:PUB",
                    Outcome::Allowed,
                    AuditSource::Grpc,
                ))
            })
            .unwrap();
    }
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence is monotonic"
    );
    let c = &t.catalog;
    let all = c
        .read(|tx| tx.list_audit(&a.id, &AuditFilter::default(), 100))
        .unwrap();
    assert_eq!(all.len(), 6);
    let listed: Vec<u64> = all.iter().map(|r| r.seq).collect();
    let mut expected = seqs.clone();
    expected.reverse();
    assert_eq!(listed, expected, "newest first, only this account");
    assert!(all.iter().all(|r| r.account_id == a.id));

    let two = c
        .read(|tx| tx.list_audit(&a.id, &AuditFilter::default(), 2))
        .unwrap();
    assert_eq!(two.len(), 2);
    let next = c
        .read(|tx| {
            tx.list_audit(
                &a.id,
                &AuditFilter {
                    before_seq: Some(two[1].seq),
                    ..Default::default()
                },
                2,
            )
        })
        .unwrap();
    assert_eq!(
        next.iter().map(|r| r.seq).collect::<Vec<_>>(),
        expected[2..4]
    );

    let denied = c
        .read(|tx| {
            tx.list_audit(
                &a.id,
                &AuditFilter {
                    outcome: Some(Outcome::Denied),
                    ..Default::default()
                },
                100,
            )
        })
        .unwrap();
    assert_eq!(denied.len(), 3);
    let bob = c
        .read(|tx| {
            tx.list_audit(
                &a.id,
                &AuditFilter {
                    principal: Some("bob".into()),
                    ..Default::default()
                },
                100,
            )
        })
        .unwrap();
    assert_eq!(bob.len(), 3);
    let grpc = c
        .read(|tx| {
            tx.list_audit(
                &a.id,
                &AuditFilter {
                    source: Some(AuditSource::Grpc),
                    ..Default::default()
                },
                100,
            )
        })
        .unwrap();
    assert!(grpc.is_empty());
    let by_resource = c
        .read(|tx| {
            tx.list_audit(
                &b.id,
                &AuditFilter {
                    resource_prefix: Some(format!("acs:ram:*:{}:user/car", b.id)),
                    action: Some("mq:PUB".into()),
                    ..Default::default()
                },
                100,
            )
        })
        .unwrap();
    assert_eq!(by_resource.len(), 6);
    let future = c
        .read(|tx| {
            tx.list_audit(
                &a.id,
                &AuditFilter {
                    since: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
                    ..Default::default()
                },
                100,
            )
        })
        .unwrap();
    assert!(future.is_empty());
    assert_eq!(
        code(c.read(|tx| tx.list_audit("nope", &AuditFilter::default(), 10))),
        "EntityNotExist.Account"
    );
}

#[test]
fn audit_is_written_atomically_with_the_change() {
    let t = open();
    let (a, _) = account(&t.catalog, "acme");
    let r: Result<(), MetaError> = t.catalog.write(|tx| {
        tx.append_audit(audit(
            &a.id,
            "alice",
            "ram:CreateUser",
            Outcome::Allowed,
            AuditSource::Console,
        ))?;
        tx.create_user(
            &a.id,
            NewUser {
                name: "bad name".into(),
                ..Default::default()
            },
        )?;
        Ok(())
    });
    assert!(r.is_err());
    let listed = t
        .catalog
        .read(|tx| tx.list_audit(&a.id, &AuditFilter::default(), 10))
        .unwrap();
    assert!(listed.is_empty());
    // The sequence number consumed by the rolled-back append is not skipped either.
    let next = t
        .catalog
        .write(|tx| {
            tx.append_audit(audit(
                &a.id,
                "alice",
                "ram:CreateUser",
                Outcome::Allowed,
                AuditSource::Console,
            ))
        })
        .unwrap();
    assert_eq!(next.seq, 1);
}

#[test]
fn catalog_handles_are_shared_across_threads() {
    let t = open();
    let (a, _) = account(&t.catalog, "acme");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let c = t.catalog.clone();
            let id = a.id.clone();
            std::thread::spawn(move || {
                c.write(|tx| {
                    tx.create_user(
                        &id,
                        NewUser {
                            name: format!("u{i}"),
                            ..Default::default()
                        },
                    )
                })
                .map(|_| ())
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(t.catalog.read(|tx| tx.list_users(&a.id)).unwrap().len(), 4);
}

#[test]
fn deferred_writes_are_visible_at_once_and_kept_by_the_next_durable_write() {
    let t = open();
    let (a, _) = account(&t.catalog, "acme");
    let before = t.catalog.generation();
    t.catalog
        .write_deferred(|tx| {
            tx.append_audit(audit(
                &a.id,
                "alice",
                "mq:PUB",
                Outcome::Denied,
                AuditSource::Grpc,
            ))
        })
        .unwrap();
    let seen = t
        .catalog
        .read(|tx| tx.list_audit(&a.id, &AuditFilter::default(), 10))
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        t.catalog.generation(),
        before,
        "an audit append leaves cached catalogue data current"
    );
    t.catalog
        .write(|tx| {
            tx.create_user(
                &a.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert!(
        t.catalog.generation() > before,
        "a committed write makes cached catalogue data stale"
    );
    let after = t.catalog.generation();
    let failed: Result<(), MetaError> = t.catalog.write(|_| Err(MetaError::InvalidCredentials));
    assert!(failed.is_err());
    assert_eq!(
        t.catalog.generation(),
        after,
        "a failed write changes nothing"
    );
    let dir = t.dir.path().to_owned();
    drop(t.catalog);
    let c = reopen(&dir).unwrap();
    assert_eq!(
        c.read(|tx| tx.list_audit(&a.id, &AuditFilter::default(), 10))
            .unwrap()
            .len(),
        1
    );
}
