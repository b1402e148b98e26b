//! Refusals are counted where the authorizer decides, by action, front end and reason.

#![allow(clippy::unwrap_used, reason = "test")]

mod common;

use common::Fixture;
use petrel_meta::NewInstance;
use petrel_metrics::Exposition;

fn denials(fx: &Fixture) -> Vec<String> {
    let mut e = Exposition::new();
    fx.service.write_metrics(&mut e);
    e.finish()
        .lines()
        .filter(|l| l.starts_with("petrel_authorization_denials_total{"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn refusals_are_counted_by_action_front_end_and_reason() {
    let fx = Fixture::new();
    assert!(denials(&fx).is_empty());
    // Before activation every messaging action is refused, even for root.
    let instance = NewInstance {
        id: Some("orders".to_owned()),
        name: "orders".to_owned(),
        resource_group_id: None,
        remark: None,
    };
    assert!(
        fx.service
            .create_instance(&fx.root(), instance.clone())
            .is_err()
    );
    let lines = denials(&fx);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("front_end=\"internal\",reason=\"not_activated\"} 1"),
        "{lines:?}"
    );

    fx.service.activate(&fx.root()).unwrap();
    fx.service.create_instance(&fx.root(), instance).unwrap();
    let nobody = fx.new_user("nobody");
    assert!(
        fx.service
            .authorize_publish(&nobody, "orders", "t")
            .is_err()
    );
    assert!(
        fx.service
            .authorize_publish(&nobody, "orders", "t")
            .is_err()
    );
    let lines = denials(&fx);
    assert!(
        lines.contains(
            &"petrel_authorization_denials_total{action=\"mq:PUB\",front_end=\"internal\",reason=\"denied\"} 2"
                .to_owned()
        ),
        "{lines:?}"
    );
}
