//! Accounts as tenants: the same names in two accounts, and deleting one account without
//! touching the other.

mod common;

use common::{account, code, open};
use petrel_meta::{NewInstance, NewTopic, NewUser, Owner};
use petrel_model::MessageType;

fn instance(id: &str) -> NewInstance {
    NewInstance {
        id: Some(id.into()),
        name: id.into(),
        ..Default::default()
    }
}

#[test]
fn deleting_an_account_is_refused_while_it_has_instances_unless_forced() {
    let t = open();
    let (a, a_key) = account(&t.catalog, "alpha");
    let (b, b_key) = account(&t.catalog, "beta");
    for acc in [&a, &b] {
        t.catalog
            .write(|tx| {
                tx.create_user(
                    &acc.id,
                    NewUser {
                        name: "alice".into(),
                        ..Default::default()
                    },
                )?;
                tx.create_access_key(&acc.id, &Owner::User("alice".into()))?;
                tx.create_instance(&acc.id, instance("orders"))?;
                tx.create_topic(
                    &acc.id,
                    "orders",
                    NewTopic {
                        name: "t".into(),
                        message_type: MessageType::Normal,
                        queue_count: None,
                        remark: None,
                    },
                )
            })
            .expect("same names in both accounts");
    }

    let refused = t.catalog.write(|tx| tx.delete_account(&a.id, false));
    assert_eq!(code(refused), "DeleteConflict.Account.Instance");
    assert!(t.catalog.read(|tx| tx.get_account(&a.id)).is_ok());

    t.catalog
        .write(|tx| tx.delete_account(&a.id, true))
        .expect("forced delete");
    t.catalog
        .read(|tx| {
            assert!(tx.get_account(&a.id).is_err());
            assert_eq!(tx.find_account("alpha")?, None);
            assert!(tx.lookup_access_key(&a_key.id)?.is_none());
            assert!(tx.list_users(&a.id).is_err() || tx.list_users(&a.id)?.is_empty());
            assert!(tx.get_instance(&a.id, "orders").is_err());
            // The other account is untouched.
            assert!(tx.lookup_access_key(&b_key.id)?.is_some());
            assert_eq!(tx.list_users(&b.id)?.len(), 1);
            assert_eq!(tx.get_topic(&b.id, "orders", "t")?.name, "t");
            Ok(())
        })
        .expect("read");
    // The alias is free again; the new account gets a new id.
    let (again, _) = account(&t.catalog, "alpha");
    assert_ne!(again.id, a.id);
    assert!(
        t.catalog
            .read(|tx| tx.get_instance(&again.id, "orders"))
            .is_err()
    );
}

#[test]
fn an_empty_account_is_deleted_without_force() {
    let t = open();
    let (a, _) = account(&t.catalog, "alpha");
    t.catalog
        .write(|tx| tx.delete_account(&a.id, false))
        .expect("delete");
    assert_eq!(
        code(t.catalog.write(|tx| tx.delete_account(&a.id, false))),
        "EntityNotExist.Account"
    );
}
