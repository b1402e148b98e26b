//! QueryRoute and QueryAssignment: where a topic's queues are and which of them a push
//! consumer should read.
//!
//! Petrel is one broker, so every queue lives at the endpoints the client used to ask (spec
//! §0.4: the request's `endpoints`, falling back to the address the connection reached). Each
//! queue is READ_WRITE and accepts exactly the topic's message type (§0.5). Assignments follow
//! Apache for non-FIFO groups: one queue with id −1 per broker, meaning "any queue" (§6.3).

use std::net::SocketAddr;

use petrel_broker::MessageType;
use petrel_proto::v2;

use crate::auth::{CallMeta, authenticate, blocking};
use crate::convert::message_type_to_proto;
use crate::frontend::Shared;
use crate::status::{self, Failure};

/// The broker name every queue reports.
pub const BROKER_NAME: &str = "petrel";

/// The endpoints clients should use: the ones they asked with, else the address they reached.
pub(crate) fn endpoints(meta: &CallMeta, requested: Option<v2::Endpoints>) -> v2::Endpoints {
    if let Some(e) = requested.filter(|e| !e.addresses.is_empty()) {
        return e;
    }
    match meta.local {
        Some(addr) => endpoints_of(addr),
        None => v2::Endpoints::default(),
    }
}

fn endpoints_of(addr: SocketAddr) -> v2::Endpoints {
    let scheme = if addr.is_ipv4() {
        v2::AddressScheme::IPv4
    } else {
        v2::AddressScheme::IPv6
    };
    v2::Endpoints {
        scheme: scheme as i32,
        addresses: vec![v2::Address {
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
        }],
    }
}

fn queue(
    topic: &v2::Resource,
    id: i32,
    t: MessageType,
    endpoints: &v2::Endpoints,
) -> v2::MessageQueue {
    v2::MessageQueue {
        topic: Some(topic.clone()),
        id,
        permission: v2::Permission::ReadWrite as i32,
        broker: Some(v2::Broker {
            name: BROKER_NAME.to_owned(),
            id: 0,
            endpoints: Some(endpoints.clone()),
        }),
        accept_message_types: vec![message_type_to_proto(t) as i32],
    }
}

/// A named resource of a request, or BAD_REQUEST naming the field.
pub(crate) fn required(
    resource: Option<v2::Resource>,
    what: &str,
) -> Result<v2::Resource, Failure> {
    resource
        .filter(|r| !r.name.trim().is_empty())
        .ok_or_else(|| Failure::bad_request(format!("the request names no {what}")))
}

/// `QueryRoute`: allowed with `mq:PUB` or `mq:SUB` on the topic.
pub(crate) async fn query_route(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::QueryRouteRequest,
) -> Result<v2::QueryRouteResponse, Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let topic = required(req.topic, "topic")?;
    let instance = shared
        .instance(&caller, meta, &topic.resource_namespace, &topic.name)
        .await?;
    let service = shared.service.clone();
    let name = topic.name.clone();
    let data = blocking(move || Ok(service.route_topic(&caller, &instance, &name)?)).await?;
    let endpoints = endpoints(meta, req.endpoints);
    let queue_count = i32::try_from(data.topic.queue_count).unwrap_or(i32::MAX);
    let message_queues = (0..queue_count)
        .map(|id| queue(&topic, id, data.topic.message_type, &endpoints))
        .collect();
    Ok(v2::QueryRouteResponse {
        status: Some(status::ok()),
        message_queues,
    })
}

/// `QueryAssignment`: `mq:SUB` on topic and group; one "any queue" assignment, or every
/// queue for an Orderly group on a FIFO topic (as Apache does: each FIFO consumer loop reads
/// its own queue).
pub(crate) async fn query_assignment(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::QueryAssignmentRequest,
) -> Result<v2::QueryAssignmentResponse, Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let topic = required(req.topic, "topic")?;
    let group = required(req.group, "consumer group")?;
    let sub = shared.subscribe(&caller, meta, &topic, &group).await?;
    let endpoints = endpoints(meta, req.endpoints);
    let t = sub.topic.message_type;
    let ids: Vec<i32> = if t == MessageType::Fifo
        && sub.group.delivery_order == petrel_meta::DeliveryOrder::Orderly
    {
        (0..i32::try_from(sub.topic.queue_count).unwrap_or(i32::MAX)).collect()
    } else {
        vec![-1]
    };
    Ok(v2::QueryAssignmentResponse {
        status: Some(status::ok()),
        assignments: ids
            .into_iter()
            .map(|id| v2::Assignment {
                message_queue: Some(queue(&topic, id, t, &endpoints)),
            })
            .collect(),
    })
}
