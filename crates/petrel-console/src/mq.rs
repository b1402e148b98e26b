//! Message Queue pages: instances, an instance's topics and consumer groups, and sending a test
//! message. Until the account activates the service these pages show the activation dialog.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_broker::{OutgoingMessage, TopicRef, TopicSpec};
use petrel_meta::{
    ConsumerGroup, DeliveryOrder, Instance, NewConsumerGroup, NewInstance, NewTopic, RetryBackoff,
    RetryPolicy, Topic,
};
use petrel_model::MessageType;
use petrel_service::new_request_id;

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::i18n::fill;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/instances", get(list).post(create))
        .route("/instances/{id}", get(detail))
        .route("/instances/{id}/topics", post(create_topic))
        .route("/instances/{id}/groups", post(create_group))
        .route("/instances/{id}/send", post(send))
}

fn optional(fields: &Fields, name: &str) -> Option<String> {
    let v = fields.get(name);
    (!v.is_empty()).then(|| v.to_owned())
}

#[derive(Template)]
#[template(path = "instances.html")]
struct InstancesPage {
    chrome: Chrome,
    instances: Vec<Instance>,
    groups: Vec<(String, String)>,
}

async fn list(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let caller = ctx.caller();
    let svc = app.clone();
    let (instances, groups) = blocking(move || {
        let instances = svc.service.list_instances(&caller, None)?;
        // The group picker is a convenience: a user who may not list groups still gets the
        // default group.
        let groups = svc
            .service
            .list_resource_groups(&caller)
            .map(|gs| {
                gs.into_iter()
                    .map(|g| (g.id, g.display_name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Ok((instances, groups))
    })
    .await?;
    page(&InstancesPage {
        chrome,
        instances,
        groups,
    })
}

async fn create(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let new = NewInstance {
        id: None,
        name: fields.get("name").to_owned(),
        resource_group_id: optional(&fields, "resource_group"),
        remark: optional(&fields, "remark"),
    };
    let caller = ctx.caller();
    let instance = blocking(move || Ok(app.service.create_instance(&caller, new)?)).await?;
    Ok(Redirect::to(&format!("/console/instances/{}", instance.id)).into_response())
}

#[derive(Template)]
#[template(path = "instance.html")]
struct InstancePage {
    chrome: Chrome,
    /// `host:port` of the gRPC endpoint, empty when unknown.
    endpoint: String,
    instance: Instance,
    topics: Vec<Topic>,
    groups: Vec<ConsumerGroup>,
    notice: String,
}

async fn instance_page(
    app: &Arc<App>,
    ctx: &Ctx,
    id: String,
    notice: String,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let caller = ctx.caller();
    let svc = app.clone();
    let (instance, topics, groups) = blocking(move || {
        let instance = svc.service.get_instance(&caller, &id)?;
        let topics = svc.service.list_topics(&caller, &id)?;
        let groups = svc.service.list_consumer_groups(&caller, &id)?;
        Ok((instance, topics, groups))
    })
    .await?;
    let endpoint =
        crate::ctx::grpc_endpoint(app.grpc_addr, ctx.host.as_deref()).unwrap_or_default();
    page(&InstancePage {
        chrome,
        endpoint,
        instance,
        topics,
        groups,
        notice,
    })
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    instance_page(&app, &ctx, id, String::new()).await
}

async fn create_topic(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let message_type: MessageType =
        fields
            .get("message_type")
            .parse()
            .map_err(|e: petrel_model::NameError| ConsoleError::BadInput {
                field: "message_type",
                reason: e.to_string(),
            })?;
    let new = NewTopic {
        name: fields.get("name").to_owned(),
        message_type,
        queue_count: None,
        remark: optional(&fields, "remark"),
    };
    let caller = ctx.caller();
    let instance = id.clone();
    let svc = app.clone();
    blocking(move || Ok(svc.service.create_topic(&caller, &instance, new)?)).await?;
    Ok(Redirect::to(&format!("/console/instances/{id}")).into_response())
}

async fn create_group(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let delivery_order = match fields.get("delivery_order") {
        "" | "Concurrently" => DeliveryOrder::Concurrently,
        "Orderly" => DeliveryOrder::Orderly,
        other => {
            return Err(ConsoleError::BadInput {
                field: "delivery_order",
                reason: format!("`{other}` is neither Concurrently nor Orderly"),
            });
        }
    };
    let mut retry_policy = RetryPolicy::default();
    if let Some(times) = optional(&fields, "max_retry_times") {
        retry_policy.max_retry_times = times.parse().map_err(|_| ConsoleError::BadInput {
            field: "max_retry_times",
            reason: format!("`{times}` is not a whole number"),
        })?;
    }
    if let Some(secs) = optional(&fields, "retry_interval") {
        let interval_seconds = secs.parse().map_err(|_| ConsoleError::BadInput {
            field: "retry_interval",
            reason: format!("`{secs}` is not a whole number of seconds"),
        })?;
        retry_policy.backoff = RetryBackoff::Fixed { interval_seconds };
    }
    let new = NewConsumerGroup {
        group_id: fields.get("group_id").to_owned(),
        delivery_order,
        retry_policy,
        remark: optional(&fields, "remark"),
    };
    let caller = ctx.caller();
    let instance = id.clone();
    let svc = app.clone();
    blocking(move || Ok(svc.service.create_consumer_group(&caller, &instance, new)?)).await?;
    Ok(Redirect::to(&format!("/console/instances/{id}")).into_response())
}

async fn send(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let topic_name = fields.get("topic").to_owned();
    let text = fields.raw("body").to_owned();
    if text.is_empty() {
        return Err(ConsoleError::BadInput {
            field: "body",
            reason: "a test message needs a body".to_owned(),
        });
    }
    let broker = app
        .broker
        .clone()
        .ok_or_else(|| ConsoleError::Broker("the broker is not running in this process".into()))?;
    let caller = ctx.caller();
    let account = caller.account_id.clone();
    let (svc, instance, name) = (app.clone(), id.clone(), topic_name.clone());
    let topic = blocking(move || {
        Ok(svc
            .service
            .authorize_verify_send(&caller, &instance, &name)?)
    })
    .await?;
    let target = TopicRef::new(
        &account,
        &id,
        &topic_name,
        TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        },
    )
    .map_err(|e| ConsoleError::Broker(e.to_string()))?;
    let mut message = OutgoingMessage::new(
        format!("01{}", new_request_id().replace('-', "")),
        text.into_bytes(),
    );
    message.message_type = topic.message_type;
    message.tag = optional(&fields, "tag");
    message.keys = optional(&fields, "key").into_iter().collect();
    message.message_group = optional(&fields, "message_group");
    message.born_host = "petrel-console".to_owned();
    let receipts = broker
        .send(&target, vec![message])
        .await
        .map_err(|e| ConsoleError::Broker(e.to_string()))?;
    let notice = match receipts.first() {
        Some(r) => fill(ctx.lang, "send.done", &[&r.message_id, &topic_name]),
        None => "the broker answered no receipt".to_owned(),
    };
    instance_page(&app, &ctx, id, notice).await
}
