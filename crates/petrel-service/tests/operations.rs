//! Service operations as an administrator and its users see them: bootstrap, grants to many at
//! once, high-risk confirmation, explicit deny, audit of allowed and refused calls, the
//! simulator and "who can".

#![allow(clippy::unwrap_used, reason = "test")]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Fixture, ctx};
use petrel_meta::{
    AttachmentFilter, AuditFilter, Catalog, CatalogOptions, NewInstance, NewTopic, Outcome,
    PolicyRef, Principal, Scope,
};
use petrel_model::MessageType;
use petrel_service::{
    AttachRequest, INITIAL_CREDENTIALS_FILE, Identity, Resource, Service, ServiceConfig,
    ServiceError,
};

fn service_in(dir: &std::path::Path) -> Service {
    let catalog = Catalog::open(dir, CatalogOptions::for_tests()).unwrap();
    Service::new(
        catalog,
        ServiceConfig {
            region: "cn-hangzhou".to_owned(),
        },
    )
}

fn grant(principals: &[&str], policy: PolicyRef, scope: Scope) -> AttachRequest {
    AttachRequest {
        principals: principals
            .iter()
            .map(|p| Principal::User((*p).to_owned()))
            .collect(),
        policies: vec![policy],
        scope,
        confirm_high_risk: false,
    }
}

fn activated_with_topic(fx: &Fixture) {
    let root = fx.root();
    fx.service.activate(&root).unwrap();
    fx.service
        .create_instance(
            &root,
            NewInstance {
                id: Some("orders".to_owned()),
                name: "orders".to_owned(),
                resource_group_id: None,
                remark: None,
            },
        )
        .unwrap();
    for t in ["t", "audit"] {
        fx.service
            .create_topic(
                &root,
                "orders",
                NewTopic {
                    name: t.to_owned(),
                    message_type: MessageType::Normal,
                    queue_count: None,
                    remark: None,
                },
            )
            .unwrap();
    }
}

fn mq_topic(topic: &str) -> Resource {
    Resource::MqTopic {
        instance: "orders".to_owned(),
        topic: topic.to_owned(),
    }
}

#[test]
fn first_start_creates_one_account_and_never_reprints_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let service = service_in(dir.path());
    let creds = service
        .bootstrap()
        .unwrap()
        .expect("first start creates an account");
    let path = dir.path().join(INITIAL_CREDENTIALS_FILE);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for key in [
        "account_id",
        "login_name",
        "password",
        "access_key_id",
        "access_key_secret",
    ] {
        assert!(
            file[key].as_str().is_some_and(|v| !v.is_empty()),
            "missing {key}"
        );
    }
    assert_eq!(file["access_key_id"], creds.access_key_id.as_str());
    assert!(!format!("{creds:?}").contains(&creds.access_key_secret));

    // The printed credentials work: the password logs in, the key authenticates.
    let caller = service
        .login("", &creds.login_name, &creds.password, common::ctx())
        .unwrap();
    assert_eq!(caller.identity, Identity::Root);
    let caller = service
        .authenticate_access_key(&creds.access_key_id, common::ctx(), |secret| {
            secret == creds.access_key_secret
        })
        .unwrap();
    assert_eq!(caller.account_id, creds.account_id);

    drop(service);
    let again = service_in(dir.path());
    assert!(again.bootstrap().unwrap().is_none());
    let file_after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file, file_after);
}

#[test]
fn wrong_signature_unknown_key_and_disabled_key_are_refused_with_their_codes() {
    let fx = Fixture::new();
    let key = fx.service.create_access_key(&fx.root(), None).unwrap();
    let err = fx
        .service
        .authenticate_access_key(&key.id, ctx(), |_| false)
        .unwrap_err();
    assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
    let err = fx
        .service
        .authenticate_access_key("LTAInope", ctx(), |_| true)
        .unwrap_err();
    assert_eq!(err.code().as_str(), "InvalidAccessKeyId.NotFound");
    fx.service
        .set_access_key_status(
            &fx.root(),
            None,
            &key.id,
            petrel_meta::AccessKeyStatus::Inactive,
        )
        .unwrap();
    let err = fx
        .service
        .authenticate_access_key(&key.id, ctx(), |_| true)
        .unwrap_err();
    assert_eq!(err.code().as_str(), "InvalidAccessKeyId.Inactive");
}

#[test]
fn a_grant_to_three_users_at_once_is_all_or_nothing() {
    let fx = Fixture::new();
    for u in ["a", "b", "c"] {
        fx.new_user(u);
    }
    let err = fx
        .service
        .attach(
            &fx.root(),
            &grant(
                &["a", "b", "ghost"],
                PolicyRef::system("AliyunMQSubOnlyAccess"),
                Scope::Account,
            ),
        )
        .unwrap_err();
    assert_eq!(err.code().as_str(), "EntityNotExist.User");
    let held = fx
        .service
        .policy_holders(&fx.root(), &PolicyRef::system("AliyunMQSubOnlyAccess"))
        .unwrap();
    assert!(held.users.is_empty(), "partial grant left behind: {held:?}");

    fx.service
        .attach(
            &fx.root(),
            &grant(
                &["a", "b", "c"],
                PolicyRef::system("AliyunMQSubOnlyAccess"),
                Scope::Account,
            ),
        )
        .unwrap();
    let held = fx
        .service
        .policy_holders(&fx.root(), &PolicyRef::system("AliyunMQSubOnlyAccess"))
        .unwrap();
    assert_eq!(held.users.len(), 3);
    let grants = fx
        .service
        .list_grants(
            &fx.root(),
            &AttachmentFilter {
                principal: Some(Principal::User("b".to_owned())),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].scope, Scope::Account);
}

#[test]
fn high_risk_policies_need_confirmation() {
    let fx = Fixture::new();
    fx.new_user("ops");
    let mut request = grant(
        &["ops"],
        PolicyRef::system("AdministratorAccess"),
        Scope::Account,
    );
    let err = fx.service.attach(&fx.root(), &request).unwrap_err();
    assert!(err.to_string().contains("high-risk"), "{err}");
    request.confirm_high_risk = true;
    fx.service.attach(&fx.root(), &request).unwrap();

    let info = fx
        .service
        .get_policy(
            &fx.root(),
            petrel_service::PolicyKind::System,
            "AliyunRAMFullAccess",
        )
        .unwrap();
    assert!(info.is_high_risk());
    let info = fx
        .service
        .get_policy(
            &fx.root(),
            petrel_service::PolicyKind::System,
            "AliyunMQPubOnlyAccess",
        )
        .unwrap();
    assert!(!info.is_high_risk());
}

#[test]
fn explicit_deny_on_one_topic_wins_over_allow_everything_else() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let dev = fx.new_user("dev");
    let doc = r#"{"Version":"1","Statement":[
        {"Effect":"Allow","Action":"mq:*","Resource":"*"},
        {"Effect":"Deny","Action":"mq:PUB","Resource":"acs:mq:*:*:orders%audit"}]}"#;
    fx.service
        .create_policy(
            &fx.root(),
            "mq-but-audit",
            "all mq but publishing to audit",
            doc,
        )
        .unwrap();
    let mut request = grant(&["dev"], PolicyRef::custom("mq-but-audit"), Scope::Account);
    // `mq:*` on everything counts as high-risk even with a Deny beside it.
    request.confirm_high_risk = true;
    fx.service.attach(&fx.root(), &request).unwrap();
    fx.service.authorize(&dev, "mq:PUB", mq_topic("t")).unwrap();
    fx.service
        .authorize(&dev, "mq:SUB", mq_topic("audit"))
        .unwrap();
    let err = fx
        .service
        .authorize(&dev, "mq:PUB", mq_topic("audit"))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("explicit"), "{text}");
    assert!(text.contains("mq-but-audit"), "{text}");
}

#[test]
fn malformed_policy_is_refused_with_its_code_and_place() {
    let fx = Fixture::new();
    let err = fx
        .service
        .create_policy(
            &fx.root(),
            "bad",
            "",
            r#"{"Version":"1","Statement":[{"Effect":"Permit","Action":"mq:*","Resource":"*"}]}"#,
        )
        .unwrap_err();
    assert_eq!(err.code().as_str(), "MalformedPolicyDocument");
    assert!(err.to_string().contains("Effect"), "{err}");
}

#[test]
fn users_start_with_nothing_and_refusals_are_audited() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let nobody = fx.new_user("nobody");
    let err = fx
        .service
        .authorize(&nobody, "mq:PUB", mq_topic("t"))
        .unwrap_err();
    assert!(matches!(err, ServiceError::Denied(_)));
    let err = fx.service.list_users(&nobody).unwrap_err();
    assert!(matches!(err, ServiceError::Denied(_)));

    let records = fx
        .service
        .catalog()
        .read(|tx| tx.list_audit(&fx.account, &AuditFilter::default(), 100))
        .unwrap();
    let denied: Vec<_> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Denied && r.principal.display == "nobody")
        .map(|r| r.action.as_str())
        .collect();
    assert!(denied.contains(&"mq:PUB"), "{denied:?}");
    assert!(denied.contains(&"ram:ListUsers"), "{denied:?}");
    assert!(
        records
            .iter()
            .any(|r| r.outcome == Outcome::Allowed && r.action == "ram:CreateUser"),
        "allowed changes are audited too"
    );
}

#[test]
fn resource_group_grant_follows_the_instance_when_it_moves() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let root = fx.root();
    let prod = fx
        .service
        .create_resource_group(&root, "prod", "Prod")
        .unwrap();
    let ops = fx.new_user("ops");
    fx.service
        .attach(
            &root,
            &grant(
                &["ops"],
                PolicyRef::system("AliyunMQPubOnlyAccess"),
                Scope::ResourceGroup(prod.id.clone()),
            ),
        )
        .unwrap();
    assert!(fx.service.authorize(&ops, "mq:PUB", mq_topic("t")).is_err());
    fx.service.move_instance(&root, "orders", &prod.id).unwrap();
    fx.service.authorize(&ops, "mq:PUB", mq_topic("t")).unwrap();
    // A non-empty group cannot be deleted.
    let err = fx
        .service
        .delete_resource_group(&root, &prod.id)
        .unwrap_err();
    assert!(
        err.code().as_str().starts_with("DeleteConflict"),
        "{}",
        err.code()
    );
}

#[test]
fn who_can_answers_the_reverse_question_and_simulate_names_the_statement() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let root = fx.root();
    for u in ["pub1", "pub2", "sub1"] {
        fx.new_user(u);
    }
    fx.service
        .attach(
            &root,
            &grant(
                &["pub1", "pub2"],
                PolicyRef::system("AliyunMQPubOnlyAccess"),
                Scope::Account,
            ),
        )
        .unwrap();
    fx.service
        .attach(
            &root,
            &grant(
                &["sub1"],
                PolicyRef::system("AliyunMQSubOnlyAccess"),
                Scope::Account,
            ),
        )
        .unwrap();
    let who = fx.service.who_can(&root, "mq:PUB", mq_topic("t")).unwrap();
    let names: Vec<_> = who.allowed.iter().map(|(i, _)| i.clone()).collect();
    assert_eq!(
        names,
        vec![
            Identity::Root,
            Identity::User("pub1".to_owned()),
            Identity::User("pub2".to_owned())
        ]
    );
    let sim = fx
        .service
        .simulate(
            &root,
            Identity::User("sub1".to_owned()),
            "mq:PUB",
            mq_topic("t"),
        )
        .unwrap();
    assert!(!sim.is_allowed());
    let sim = fx
        .service
        .simulate(
            &root,
            Identity::User("pub1".to_owned()),
            "mq:PUB",
            mq_topic("t"),
        )
        .unwrap();
    assert!(sim.is_allowed());
    assert!(sim.decision.explain().contains("AliyunMQPubOnlyAccess"));
}

#[test]
fn nothing_crosses_accounts() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let other = Fixture::add_account(&fx.service, "rival");
    let rival_root = fx.root_of(&other);
    fx.service.activate(&rival_root).unwrap();
    // B's root names A's instance: B has no such instance, and A's is unreachable.
    assert!(fx.service.get_topic(&rival_root, "orders", "t").is_err());
    assert!(fx.service.get_user(&rival_root, "nobody").is_err());
    assert_eq!(fx.service.list_users(&rival_root).unwrap().len(), 0);
}

#[test]
fn a_policy_attached_to_a_group_reaches_its_members_only_while_they_belong() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let root = fx.root();
    let carol = fx.new_user("carol");
    fx.service.create_group(&root, "publishers", None).unwrap();
    fx.service
        .attach(
            &root,
            &AttachRequest {
                principals: vec![Principal::Group("publishers".to_owned())],
                policies: vec![PolicyRef::system("AliyunMQPubOnlyAccess")],
                scope: Scope::Account,
                confirm_high_risk: false,
            },
        )
        .unwrap();
    assert!(
        fx.service
            .authorize(&carol, "mq:PUB", mq_topic("t"))
            .is_err()
    );
    fx.service
        .add_user_to_group(&root, "carol", "publishers")
        .unwrap();
    fx.service
        .authorize(&carol, "mq:PUB", mq_topic("t"))
        .unwrap();
    let sim = fx
        .service
        .simulate(
            &root,
            Identity::User("carol".to_owned()),
            "mq:PUB",
            mq_topic("t"),
        )
        .unwrap();
    assert!(
        sim.decision.explain().contains("publishers"),
        "{}",
        sim.decision.explain()
    );
    fx.service
        .remove_user_from_group(&root, "carol", "publishers")
        .unwrap();
    assert!(
        fx.service
            .authorize(&carol, "mq:PUB", mq_topic("t"))
            .is_err()
    );
}

#[test]
fn the_audit_log_is_readable_by_root_newest_first_and_refused_to_a_user_without_a_grant() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let nobody = fx.new_user("nobody");
    let _ = fx.service.list_users(&nobody).unwrap_err();
    let root = fx.root();
    let denied = fx
        .service
        .list_audit(
            &root,
            &AuditFilter {
                outcome: Some(Outcome::Denied),
                ..AuditFilter::default()
            },
            10,
        )
        .unwrap();
    assert_eq!(denied[0].action, "ram:ListUsers");
    assert_eq!(denied[0].principal.display, "nobody");
    let all = fx
        .service
        .list_audit(&root, &AuditFilter::default(), 1000)
        .unwrap();
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let err = fx
        .service
        .list_audit(&nobody, &AuditFilter::default(), 10)
        .unwrap_err();
    assert!(
        err.to_string().contains("actiontrail:LookupEvents"),
        "{err}"
    );
}

#[test]
fn dead_letters_need_their_own_actions_on_the_group() {
    let fx = Fixture::new();
    activated_with_topic(&fx);
    let root = fx.root();
    fx.service
        .create_consumer_group(
            &root,
            "orders",
            petrel_meta::NewConsumerGroup {
                group_id: "GID_a".to_owned(),
                delivery_order: petrel_meta::DeliveryOrder::Concurrently,
                retry_policy: petrel_meta::RetryPolicy::default(),
                remark: None,
            },
        )
        .unwrap();
    let group = fx
        .service
        .dead_letters_target(&root, "orders", "GID_a")
        .unwrap();
    assert_eq!(group.group_id, "GID_a");
    let (_, topics) = fx
        .service
        .resend_dead_letter_target(&root, "orders", "GID_a")
        .unwrap();
    assert!(topics.iter().any(|t| t.name == "t"));
    let missing = fx
        .service
        .resend_dead_letter_target(&root, "orders", "GID_none")
        .unwrap_err();
    assert!(missing.to_string().contains("GID_none"), "{missing}");
    let nobody = fx.new_user("nobody");
    let err = fx
        .service
        .dead_letters_target(&nobody, "orders", "GID_a")
        .unwrap_err();
    assert!(err.to_string().contains("mq:QueryDLQMessage"), "{err}");
    let err = fx
        .service
        .resend_dead_letter_target(&nobody, "orders", "GID_a")
        .unwrap_err();
    assert!(err.to_string().contains("mq:ResendDLQMessage"), "{err}");
}

#[test]
fn a_cached_key_is_refused_as_soon_as_it_is_disabled_deleted_or_its_account_disabled() {
    let fx = Fixture::new();
    let key = fx.service.create_access_key(&fx.root(), None).unwrap();
    let ok = |fx: &Fixture| {
        fx.service
            .authenticate_access_key(&key.id, ctx(), |_| true)
            .map(|c| c.account_id)
    };
    assert!(ok(&fx).is_ok());
    // Verified once, the key is now answered from the cache, which still checks the signature.
    let forged = fx
        .service
        .authenticate_access_key(&key.id, ctx(), |_| false)
        .unwrap_err();
    assert_eq!(forged.code().as_str(), "SignatureDoesNotMatch");
    assert!(ok(&fx).is_ok());

    fx.service
        .set_access_key_status(
            &fx.root(),
            None,
            &key.id,
            petrel_meta::AccessKeyStatus::Inactive,
        )
        .unwrap();
    assert_eq!(
        ok(&fx).unwrap_err().code().as_str(),
        "InvalidAccessKeyId.Inactive"
    );
    fx.service
        .set_access_key_status(
            &fx.root(),
            None,
            &key.id,
            petrel_meta::AccessKeyStatus::Active,
        )
        .unwrap();
    assert!(ok(&fx).is_ok());

    fx.service
        .set_account_enabled(&fx.account, false, petrel_meta::AuditSource::Cli)
        .unwrap();
    assert_eq!(ok(&fx).unwrap_err().code().as_str(), "Account.Disabled");
    fx.service
        .set_account_enabled(&fx.account, true, petrel_meta::AuditSource::Cli)
        .unwrap();
    assert!(ok(&fx).is_ok());

    fx.service
        .delete_access_key(&fx.root(), None, &key.id)
        .unwrap();
    assert_eq!(
        ok(&fx).unwrap_err().code().as_str(),
        "InvalidAccessKeyId.NotFound"
    );
}
