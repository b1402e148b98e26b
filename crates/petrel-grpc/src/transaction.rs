//! Transactions on the wire: EndTransaction (`mq:PUB` on the topic) and the delivery of the
//! broker's orphaned-transaction checks as `RecoverOrphanedTransactionCommand` on the Telemetry
//! stream of a live producer of the topic (spec §6.1), which answers with EndTransaction
//! (`source = SOURCE_SERVER_CHECK`).
//!
//! A check goes to one producer whose settings list the topic, rotating over them from check
//! to check; with none alive the check is not delivered and still counts (the broker rolls
//! the transaction back after its last check, as Apache does). A resolution of
//! `TRANSACTION_RESOLUTION_UNSPECIFIED` (what the Rust SDK sends for "unknown") leaves the
//! transaction open: it is checked again later.

use std::sync::Arc;

use petrel_broker::{TransactionCheck, TransactionResolution};
use petrel_proto::v2;
use tokio::sync::broadcast::error::RecvError;
use v2::telemetry_command::Command;

use crate::auth::{CallMeta, authenticate, blocking};
use crate::convert;
use crate::frontend::{Shared, stopped};
use crate::route::{BROKER_NAME, required};
use crate::status::{self, Failure, code};

/// Handles one EndTransaction request.
pub(crate) async fn end_transaction(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::EndTransactionRequest,
) -> Result<(), Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let topic = required(req.topic, "topic")?;
    let instance = shared
        .instance(&caller, meta, &topic.resource_namespace, &topic.name)
        .await?;
    let service = shared.service.clone();
    let (c, i, t) = (caller.clone(), instance.clone(), topic.name.clone());
    let data = blocking(move || Ok(service.authorize_publish(&c, &i, &t)?)).await?;
    let topic_ref = Shared::topic_ref(&caller, &instance, &data.topic)?;
    shared
        .sessions
        .touch(&caller.account_id, &meta.client_id, None);
    if req.transaction_id.trim().is_empty() {
        return Err(Failure::new(
            code::INVALID_TRANSACTION_ID,
            format!("message `{}` names no transaction id", req.message_id),
        ));
    }
    let resolution = match v2::TransactionResolution::try_from(req.resolution) {
        Ok(v2::TransactionResolution::Commit) => TransactionResolution::Commit,
        Ok(v2::TransactionResolution::Rollback) => TransactionResolution::Rollback,
        // "Unknown": the producer does not know yet; ask again at the next check.
        Ok(v2::TransactionResolution::Unspecified) => return Ok(()),
        Err(_) => {
            return Err(Failure::bad_request(format!(
                "transaction resolution {} is neither COMMIT nor ROLLBACK",
                req.resolution
            )));
        }
    };
    shared
        .broker
        .end_transaction(&topic_ref, &req.message_id, &req.transaction_id, resolution)
        .await?;
    Ok(())
}

/// Forwards the broker's transaction checks to producers until the server stops.
pub(crate) async fn forward_checks(shared: Arc<Shared>) {
    let mut checks = shared.broker.transaction_checks();
    let mut stopping = shared.stopping.clone();
    loop {
        let check = tokio::select! {
            c = checks.recv() => c,
            () = stopped(&mut stopping) => return,
        };
        match check {
            Ok(c) => deliver(&shared, c),
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(
                    skipped = n,
                    "transaction checks dropped; they will be repeated"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}

fn deliver(shared: &Shared, check: TransactionCheck) {
    let producers =
        shared
            .sessions
            .producers_of(&check.account, &check.instance, &check.message.topic);
    if producers.is_empty() {
        tracing::debug!(
            topic = %check.message.topic,
            message_id = %check.message.message_id,
            "no live producer to check a transaction with"
        );
        return;
    }
    let i = usize::try_from(check.check).unwrap_or(0) % producers.len();
    let (tx, namespace) = &producers[i];
    let message = convert::message(check.message, namespace, BROKER_NAME, None, 1, None);
    let command = v2::TelemetryCommand {
        status: Some(status::ok()),
        command: Some(Command::RecoverOrphanedTransactionCommand(
            v2::RecoverOrphanedTransactionCommand {
                message: Some(message),
                transaction_id: check.transaction_id,
            },
        )),
    };
    // Never wait on a slow client: the check is repeated anyway.
    if tx.try_send(Ok(command)).is_err() {
        tracing::debug!("a producer's telemetry stream is full or closed; check skipped");
    }
}
