//! RocketMQ 2022-08-01 (ROA, camelCase envelope): instances, topics, consumer groups, and
//! through the broker messages and consumer progress. Path
//! segments carry the instance, topic and group; bodies are JSON; lists page by
//! `pageNumber`/`pageSize` into `data{pageNumber, pageSize, totalCount, list}`.

mod groups;
mod instances;
pub(crate) use messages::{block_on, broker, broker_error};

mod messages;
mod query;
mod subscriptions;
mod topics;

use serde_json::{Value, json};

use crate::dispatch::{Ctx, Product};
use crate::envelope::Style;
use crate::error::ApiError;
use crate::page;

pub(crate) const PRODUCT: Product = Product {
    version: "2022-08-01",
    style: Style::Roa,
    ops: &[
        instances::OPS,
        topics::OPS,
        groups::OPS,
        messages::OPS,
        query::OPS,
        subscriptions::OPS,
    ],
};

/// `data` of a list: the page of `items` the request asks for.
pub(crate) fn paged(ctx: &Ctx<'_>, items: Vec<Value>) -> Result<Value, ApiError> {
    let number = ctx.number("pageNumber", 1, i64::MAX)?;
    let size = ctx.number("pageSize", 1, 200)?;
    let page = page::by_number(number, size, 10, items);
    Ok(json!({
        "pageNumber": page.number,
        "pageSize": page.size,
        "totalCount": page.total,
        "list": page.items,
    }))
}

/// Whether `name` passes the `filter` query parameter (a substring match, as the console's
/// search box does).
pub(crate) fn passes_filter(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.params().opt("filter").is_none_or(|f| name.contains(f))
}
