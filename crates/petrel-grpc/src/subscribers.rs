//! Feeding the broker's subscription registry from what consumers tell the server: the topics
//! and filters of their settings (once `mq:SUB` on the group was authorized), each receive,
//! heartbeats, and their termination. The SDK and version come from the settings' user agent.

use petrel_broker::{ClientInfo, FilterSpec};
use petrel_proto::v2;

use crate::auth::CallMeta;
use crate::frontend::Shared;

/// How a filter expression of the protocol is listed.
pub(crate) fn filter_spec(expr: Option<&v2::FilterExpression>) -> FilterSpec {
    match expr {
        Some(e) if e.r#type == v2::FilterType::Sql as i32 => FilterSpec {
            kind: "SQL".to_owned(),
            expression: e.expression.clone(),
        },
        Some(e) if !e.expression.is_empty() => FilterSpec {
            kind: "TAG".to_owned(),
            expression: e.expression.clone(),
        },
        _ => FilterSpec {
            kind: "TAG".to_owned(),
            expression: "*".to_owned(),
        },
    }
}

fn language_name(language: i32) -> String {
    v2::Language::try_from(language)
        .map(|l| l.as_str_name().to_owned())
        .unwrap_or_default()
}

/// The client of `meta`, with the SDK its settings named (`ua`).
pub(crate) fn client_info(meta: &CallMeta, ua: Option<&v2::Ua>) -> ClientInfo {
    ClientInfo {
        client_id: meta.client_id.clone(),
        host: meta.peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        language: ua.map(|u| language_name(u.language)).unwrap_or_default(),
        version: ua.map(|u| u.version.clone()).unwrap_or_default(),
    }
}

/// Records the subscriptions of a consumer's settings, for the group of `instance` it was
/// authorized to consume as.
pub(crate) fn report_settings(
    shared: &Shared,
    account: &str,
    instance: &str,
    meta: &CallMeta,
    settings: &v2::Settings,
    sub: &v2::Subscription,
) {
    let Some(group) = sub.group.as_ref() else {
        return;
    };
    let topics = sub
        .subscriptions
        .iter()
        .filter_map(|e| {
            let topic = e.topic.as_ref().filter(|t| !t.name.is_empty())?;
            Some((topic.name.clone(), filter_spec(e.expression.as_ref())))
        })
        .collect();
    shared.broker.subscriptions().report(
        account,
        instance,
        &group.name,
        client_info(meta, settings.user_agent.as_ref()),
        topics,
    );
}

/// Records an authorized receive of `topic` as `group`.
pub(crate) fn report_receive(
    shared: &Shared,
    account: &str,
    meta: &CallMeta,
    (instance, group, topic): (&str, &str, &str),
    expr: Option<&v2::FilterExpression>,
) {
    let ua = shared.sessions.user_agent(account, &meta.client_id);
    shared.broker.subscriptions().received(
        account,
        instance,
        group,
        client_info(meta, ua.as_ref()),
        topic,
        filter_spec(expr),
    );
}
