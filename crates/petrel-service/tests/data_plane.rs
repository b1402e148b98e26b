//! The questions the messaging front end asks before it calls the broker.

#![allow(clippy::unwrap_used, reason = "test")]

mod common;

use common::Fixture;
use petrel_meta::{NewInstance, NewTopic, PolicyRef, Principal, Scope};
use petrel_model::MessageType;
use petrel_service::{AttachRequest, ServiceError};

fn instance_with_topic(fx: &Fixture, instance: &str, topic: &str) {
    let root = fx.root();
    fx.service
        .create_instance(
            &root,
            NewInstance {
                id: Some(instance.to_owned()),
                name: instance.to_owned(),
                resource_group_id: None,
                remark: None,
            },
        )
        .unwrap();
    fx.service
        .create_topic(
            &root,
            instance,
            NewTopic {
                name: topic.to_owned(),
                message_type: MessageType::Normal,
                queue_count: Some(4),
                remark: None,
            },
        )
        .unwrap();
}

#[test]
fn a_client_without_namespace_reaches_the_only_instance_with_its_topic() {
    let fx = Fixture::new();
    fx.service.activate(&fx.root()).unwrap();
    instance_with_topic(&fx, "orders", "t");
    instance_with_topic(&fx, "billing", "b");
    let root = fx.root();
    assert_eq!(
        fx.service.resolve_instance(&root, None, "t").unwrap(),
        "orders"
    );
    assert_eq!(
        fx.service.resolve_instance(&root, Some(""), "b").unwrap(),
        "billing"
    );
    assert_eq!(
        fx.service
            .resolve_instance(&root, Some("billing"), "t")
            .unwrap(),
        "billing"
    );
    let err = fx
        .service
        .resolve_instance(&root, None, "nope")
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");

    instance_with_topic(&fx, "orders-copy", "t");
    let err = fx.service.resolve_instance(&root, None, "t").unwrap_err();
    assert!(err.to_string().contains("namespace"), "{err}");
}

#[test]
fn route_is_open_to_subscribers_and_publishers_only() {
    let fx = Fixture::new();
    fx.service.activate(&fx.root()).unwrap();
    instance_with_topic(&fx, "orders", "t");
    let sub = fx.new_user("sub");
    let nobody = fx.new_user("nobody");
    fx.service
        .attach(
            &fx.root(),
            &AttachRequest {
                principals: vec![Principal::User("sub".to_owned())],
                policies: vec![PolicyRef::system("AliyunMQSubOnlyAccess")],
                scope: Scope::Account,
                confirm_high_risk: false,
            },
        )
        .unwrap();
    let route = fx.service.route_topic(&sub, "orders", "t").unwrap();
    assert_eq!(route.topic.queue_count, 4);
    assert!(fx.service.authorize_publish(&sub, "orders", "t").is_err());
    let err = fx.service.route_topic(&nobody, "orders", "t").unwrap_err();
    assert!(matches!(err, ServiceError::Denied(_)));
    assert!(err.to_string().contains("mq:PUB"), "{err}");

    // Subscribing needs the group to exist.
    let err = fx
        .service
        .authorize_subscribe(&sub, "orders", "t", "GID_missing")
        .unwrap_err();
    assert_eq!(err.code().as_str(), "EntityNotExist.ConsumerGroup");
}
