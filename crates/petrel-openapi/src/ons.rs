//! ONS 2019-02-14: `OpenOnsService`, the activation switch of the messaging service, and (in
//! `ons_dlq`) the dead-letter operations. Activating an account that already is answers
//! `OrderOpend`, as Alibaba does (Terraform treats that code as success).

use petrel_model::ErrorCode;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Product, rpc};
use crate::envelope::{Style, iso};
use crate::error::ApiError;

pub(crate) const PRODUCT: Product = Product {
    version: "2019-02-14",
    style: Style::Rpc,
    ops: &[
        &[rpc("OpenOnsService", open_ons_service)],
        crate::ons_dlq::OPS,
    ],
};

fn open_ons_service(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let outcome = ctx.service.activate(ctx.caller)?;
    let activated_at = outcome.activation.activated_at;
    if outcome.already_activated {
        return Err(ApiError::from_code(
            &ErrorCode::OrderOpend,
            format!(
                "the message queue service of account `{}` is already activated (since {})",
                ctx.caller.account_id,
                iso(activated_at)
            ),
        ));
    }
    // An order id per activation: the activation time in milliseconds is unique per account and
    // lets an operator find the audit record.
    let order_id = activated_at.unix_timestamp_nanos() / 1_000_000;
    Ok(json!({ "OrderId": order_id.to_string() }))
}
