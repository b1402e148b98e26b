//! Resource groups, instances, topics and consumer groups.

mod common;

use common::{account, code, open};
use petrel_meta::{
    ConsumerGroupUpdate, DeliveryOrder, InstanceUpdate, NewConsumerGroup, NewInstance,
    NewResourceGroup, NewTopic, NewUser, PolicyRef, Principal, RetryBackoff, RetryPolicy, Scope,
    TopicUpdate,
};
use petrel_model::MessageType;

fn rg(name: &str) -> NewResourceGroup {
    NewResourceGroup {
        name: name.into(),
        display_name: Some(format!("{name} group")),
    }
}

fn instance(id: &str, rg: Option<&str>) -> NewInstance {
    NewInstance {
        id: Some(id.into()),
        name: format!("{id} instance"),
        resource_group_id: rg.map(str::to_owned),
        remark: None,
    }
}

fn topic(name: &str) -> NewTopic {
    NewTopic {
        name: name.into(),
        message_type: MessageType::Fifo,
        queue_count: None,
        remark: Some("r".into()),
    }
}

#[test]
fn resource_group_crud_and_name_rules() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let prod = t
        .catalog
        .write(|tx| tx.create_resource_group(&acc.id, rg("prod")))
        .unwrap();
    assert!(prod.id.starts_with("rg-") && prod.id.len() == 16);
    assert!(!prod.is_default);
    assert_eq!(prod.status.as_api_str(), "OK");
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_resource_group(&acc.id, rg("prod")))
        ),
        "EntityAlreadyExists.ResourceGroup"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_resource_group(&acc.id, rg("1prod")))
        ),
        "InvalidParameter.Name.Format"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_resource_group(&acc.id, rg("p")))
        ),
        "InvalidParameter.Name.Length"
    );
    let renamed = t
        .catalog
        .write(|tx| tx.update_resource_group(&acc.id, &prod.id, "Production"))
        .unwrap();
    assert_eq!(renamed.display_name, "Production");
    assert_eq!(renamed.name, "prod");
    t.catalog
        .read(|tx| {
            assert_eq!(
                tx.find_resource_group_by_name(&acc.id, "prod")?
                    .map(|r| r.id),
                Some(prod.id.clone())
            );
            assert_eq!(tx.list_resource_groups(&acc.id)?.len(), 2);
            assert_eq!(
                code(tx.get_resource_group(&acc.id, "rg-doesnotexist1")),
                "EntityNotExists.ResourceGroup"
            );
            assert_eq!(
                code(tx.get_resource_group(&acc.id, "../etc")),
                "EntityNotExists.ResourceGroup"
            );
            Ok(())
        })
        .unwrap();
    t.catalog
        .write(|tx| tx.delete_resource_group(&acc.id, &prod.id))
        .unwrap();
    assert!(
        t.catalog
            .read(|tx| tx.find_resource_group_by_name(&acc.id, "prod"))
            .unwrap()
            .is_none()
    );
    // The name is free again.
    t.catalog
        .write(|tx| tx.create_resource_group(&acc.id, rg("prod")))
        .unwrap();
}

#[test]
fn default_resource_group_cannot_be_deleted() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let r = t
        .catalog
        .write(|tx| tx.delete_resource_group(&acc.id, &acc.default_resource_group_id));
    assert_eq!(code(r), "DeleteConflict.ResourceGroup.Default");
}

#[test]
fn non_empty_or_referenced_resource_group_cannot_be_deleted() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let prod = t
        .catalog
        .write(|tx| tx.create_resource_group(&acc.id, rg("prod")))
        .unwrap();
    t.catalog
        .write(|tx| tx.create_instance(&acc.id, instance("orders", Some(&prod.id))))
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.delete_resource_group(&acc.id, &prod.id))
        ),
        "DeleteConflict.ResourceGroup.Resource"
    );
    assert_eq!(
        t.catalog
            .read(|tx| tx.list_resource_group_instances(&acc.id, &prod.id))
            .unwrap(),
        vec!["orders".to_string()]
    );
    t.catalog
        .write(|tx| tx.delete_instance(&acc.id, "orders", false))
        .unwrap();
    let scope = Scope::ResourceGroup(prod.id.clone());
    let alice = Principal::User("alice".into());
    let full = PolicyRef::system("AliyunMQFullAccess");
    t.catalog
        .write(|tx| {
            tx.create_user(
                &acc.id,
                NewUser {
                    name: "alice".into(),
                    ..Default::default()
                },
            )?;
            tx.attach(&acc.id, &alice, &full, &scope)
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.delete_resource_group(&acc.id, &prod.id))
        ),
        "DeleteConflict.ResourceGroup.PolicyAttachment"
    );
    t.catalog
        .write(|tx| {
            tx.detach(&acc.id, &alice, &full, &scope)?;
            tx.delete_resource_group(&acc.id, &prod.id)
        })
        .unwrap();
}

#[test]
fn instances_land_in_the_default_group_and_move_between_groups() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    let generated = t
        .catalog
        .write(|tx| {
            tx.create_instance(
                &acc.id,
                NewInstance {
                    name: "auto".into(),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert!(generated.id.starts_with("rmq-cn-"));
    assert_eq!(generated.resource_group_id, acc.default_resource_group_id);

    let prod = t
        .catalog
        .write(|tx| tx.create_resource_group(&acc.id, rg("prod")))
        .unwrap();
    let orders = t
        .catalog
        .write(|tx| tx.create_instance(&acc.id, instance("orders", None)))
        .unwrap();
    assert_eq!(orders.resource_group_id, acc.default_resource_group_id);
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_instance(&acc.id, instance("orders", None)))
        ),
        "EntityAlreadyExists.Instance"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_instance(&acc.id, instance("x y", None)))
        ),
        "InvalidParameter.InstanceId.InvalidChars"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_instance(&acc.id, instance("bad", Some("rg-nope0000000"))))
        ),
        "EntityNotExists.ResourceGroup"
    );

    let moved = t
        .catalog
        .write(|tx| tx.change_resource_group(&acc.id, "orders", &prod.id))
        .unwrap();
    assert_eq!(moved.resource_group_id, prod.id);
    t.catalog
        .read(|tx| {
            assert_eq!(tx.resource_group_of_instance(&acc.id, "orders")?, prod.id);
            assert_eq!(
                tx.list_resource_group_instances(&acc.id, &prod.id)?,
                vec!["orders".to_string()]
            );
            let in_default =
                tx.list_resource_group_instances(&acc.id, &acc.default_resource_group_id)?;
            assert_eq!(in_default, vec![generated.id.clone()]);
            assert_eq!(tx.list_instances(&acc.id, Some(&prod.id))?.len(), 1);
            assert_eq!(tx.list_instances(&acc.id, None)?.len(), 2);
            Ok(())
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.change_resource_group(&acc.id, "orders", "rg-nope0000000"))
        ),
        "EntityNotExists.ResourceGroup"
    );
    assert_eq!(
        code(
            t.catalog
                .read(|tx| tx.resource_group_of_instance(&acc.id, "missing"))
        ),
        "EntityNotExist.Instance"
    );
    let updated = t
        .catalog
        .write(|tx| {
            tx.update_instance(
                &acc.id,
                "orders",
                InstanceUpdate {
                    name: Some("Orders".into()),
                    remark: Some("main".into()),
                },
            )
        })
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.remark.as_str()),
        ("Orders", "main")
    );
    assert_eq!(updated.resource_group_id, prod.id);
}

#[test]
fn topics_and_consumer_groups_crud() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| tx.create_instance(&acc.id, instance("orders", None)))
        .unwrap();
    let tp = t
        .catalog
        .write(|tx| tx.create_topic(&acc.id, "orders", topic("paid")))
        .unwrap();
    assert_eq!(tp.message_type, MessageType::Fifo);
    assert_eq!(tp.queue_count, petrel_meta::DEFAULT_QUEUE_COUNT);
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_topic(&acc.id, "orders", topic("paid")))
        ),
        "EntityAlreadyExists.Topic"
    );
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_topic(&acc.id, "nope", topic("paid")))
        ),
        "EntityNotExist.Instance"
    );
    let zero = NewTopic {
        queue_count: Some(0),
        ..topic("zero")
    };
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_topic(&acc.id, "orders", zero))
        ),
        "InvalidParameter.QueueCount"
    );
    let up = t
        .catalog
        .write(|tx| {
            tx.update_topic(
                &acc.id,
                "orders",
                "paid",
                TopicUpdate {
                    remark: Some("new".into()),
                },
            )
        })
        .unwrap();
    assert_eq!(up.remark, "new");
    assert_eq!(
        code(
            t.catalog
                .read(|tx| tx.get_topic(&acc.id, "orders", "unpaid"))
        ),
        "EntityNotExist.Topic"
    );

    let g = t
        .catalog
        .write(|tx| {
            tx.create_consumer_group(
                &acc.id,
                "orders",
                NewConsumerGroup {
                    group_id: "billing".into(),
                    delivery_order: DeliveryOrder::Orderly,
                    retry_policy: RetryPolicy {
                        backoff: RetryBackoff::Fixed {
                            interval_seconds: 10,
                        },
                        max_retry_times: 3,
                        dead_letter_target_topic: Some("paid-dlq".into()),
                    },
                    remark: None,
                },
            )
        })
        .unwrap();
    assert_eq!(g.delivery_order, DeliveryOrder::Orderly);
    assert_eq!(
        code(t.catalog.write(|tx| tx.create_consumer_group(
            &acc.id,
            "orders",
            NewConsumerGroup {
                group_id: "billing".into(),
                ..Default::default()
            }
        ))),
        "EntityAlreadyExists.ConsumerGroup"
    );
    let too_many = NewConsumerGroup {
        group_id: "x".into(),
        retry_policy: RetryPolicy {
            max_retry_times: 5_000,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.create_consumer_group(&acc.id, "orders", too_many))
        ),
        "InvalidParameter.MaxRetryTimes"
    );
    let changed = t
        .catalog
        .write(|tx| {
            tx.update_consumer_group(
                &acc.id,
                "orders",
                "billing",
                ConsumerGroupUpdate {
                    delivery_order: Some(DeliveryOrder::Concurrently),
                    retry_policy: Some(RetryPolicy::default()),
                    remark: None,
                },
            )
        })
        .unwrap();
    assert_eq!(changed.retry_policy.max_retry_times, 16);
    assert_eq!(changed.delivery_order, DeliveryOrder::Concurrently);
    t.catalog
        .read(|tx| {
            assert_eq!(tx.list_topics(&acc.id, "orders")?.len(), 1);
            assert_eq!(tx.list_consumer_groups(&acc.id, "orders")?.len(), 1);
            Ok(())
        })
        .unwrap();
    t.catalog
        .write(|tx| {
            tx.delete_topic(&acc.id, "orders", "paid")?;
            tx.delete_consumer_group(&acc.id, "orders", "billing")
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .read(|tx| tx.get_consumer_group(&acc.id, "orders", "billing"))
        ),
        "EntityNotExist.ConsumerGroup"
    );
}

#[test]
fn deleting_an_instance_refuses_while_it_has_children_unless_forced() {
    let t = open();
    let (acc, _) = account(&t.catalog, "acme");
    t.catalog
        .write(|tx| {
            tx.create_instance(&acc.id, instance("orders", None))?;
            tx.create_topic(&acc.id, "orders", topic("paid"))
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.delete_instance(&acc.id, "orders", false))
        ),
        "DeleteConflict.Instance.Topic"
    );
    t.catalog
        .write(|tx| {
            tx.delete_topic(&acc.id, "orders", "paid")?;
            tx.create_consumer_group(
                &acc.id,
                "orders",
                NewConsumerGroup {
                    group_id: "billing".into(),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(
        code(
            t.catalog
                .write(|tx| tx.delete_instance(&acc.id, "orders", false))
        ),
        "DeleteConflict.Instance.ConsumerGroup"
    );
    t.catalog
        .write(|tx| tx.create_topic(&acc.id, "orders", topic("paid")))
        .unwrap();
    t.catalog
        .write(|tx| tx.delete_instance(&acc.id, "orders", true))
        .unwrap();
    // Recreating the instance does not resurrect its old topics or groups.
    t.catalog
        .write(|tx| tx.create_instance(&acc.id, instance("orders", None)))
        .unwrap();
    t.catalog
        .read(|tx| {
            assert!(tx.list_topics(&acc.id, "orders")?.is_empty());
            assert!(tx.list_consumer_groups(&acc.id, "orders")?.is_empty());
            Ok(())
        })
        .unwrap();
}
