//! Per-call observability on the gRPC API: the request id (the caller's `x-request-id` when
//! well formed) comes back in the response metadata and is what the audit log records, and
//! every call is counted by method and result code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

mod common;

use common::*;
use petrel_meta::{AuditFilter, Outcome};
use petrel_metrics::Exposition;
use petrel_proto::v2;

fn route(key: &Key, request_id: Option<&str>) -> tonic::Request<v2::QueryRouteRequest> {
    let mut r = req(
        v2::QueryRouteRequest {
            topic: resource(TOPIC),
            endpoints: None,
        },
        Some(key),
    );
    r.metadata_mut()
        .insert("x-mq-namespace", INSTANCE.parse().unwrap());
    if let Some(id) = request_id {
        r.metadata_mut().insert("x-request-id", id.parse().unwrap());
    }
    r
}

fn request_id(md: &tonic::metadata::MetadataMap) -> String {
    md.get("x-request-id")
        .expect("an x-request-id response header")
        .to_str()
        .unwrap()
        .to_owned()
}

fn metric(env: &Env, series: &str) -> u64 {
    let mut e = Exposition::new();
    env.service.write_metrics(&mut e);
    e.finish()
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_callers_request_id_is_echoed_audited_and_the_call_counted() {
    let env = Env::ready().await;
    let mut client = env.client().await;

    let answer = client
        .query_route(route(&env.root_key, Some("grpc-trace-1")))
        .await
        .unwrap();
    assert_eq!(request_id(answer.metadata()), "grpc-trace-1");
    assert_eq!(answer.into_inner().status.unwrap().code, 20000);

    // No id, or a malformed one: a fresh id is made and returned.
    for sent in [None, Some("not a valid id")] {
        let answer = client
            .query_route(route(&env.root_key, sent))
            .await
            .unwrap();
        let id = request_id(answer.metadata());
        assert_eq!(id.len(), 36, "{id}");
    }
    assert_eq!(
        metric(
            &env,
            "petrel_requests_total{front_end=\"grpc\",operation=\"QueryRoute\",code=\"OK\"}"
        ),
        3
    );

    // A refused call: its audit record carries the caller's id; it is counted as FORBIDDEN.
    let nobody = env.user_with_key("nobody", &[]);
    let answer = client
        .query_route(route(&nobody, Some("grpc-denied-7")))
        .await
        .unwrap();
    assert_eq!(request_id(answer.metadata()), "grpc-denied-7");
    assert_eq!(answer.into_inner().status.unwrap().code, 40300);
    let denied = env
        .service
        .catalog()
        .read(|tx| {
            tx.list_audit(
                &env.account,
                &AuditFilter {
                    outcome: Some(Outcome::Denied),
                    ..AuditFilter::default()
                },
                10,
            )
        })
        .unwrap();
    assert!(
        denied.iter().any(|r| r.request_id == "grpc-denied-7"),
        "{denied:?}"
    );
    assert_eq!(
        metric(
            &env,
            "petrel_requests_total{front_end=\"grpc\",operation=\"QueryRoute\",code=\"FORBIDDEN\"}"
        ),
        1
    );
    assert!(
        metric(
            &env,
            "petrel_request_errors_total{front_end=\"grpc\",code=\"FORBIDDEN\"}"
        ) >= 1
    );
    env.stop().await;
}
