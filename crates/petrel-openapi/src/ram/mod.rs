//! RAM 2015-05-01 (RPC, PascalCase): users and their keys and passwords, groups, policies and
//! their versions, attachments with an optional resource-group scope, and the policy simulator
//! of our own.

mod attach;
mod groups;
mod keys;
mod policies;
mod simulate;
mod users;

use petrel_meta::{PolicyRef, PolicyType};

use crate::dispatch::Product;
use crate::envelope::Style;
use crate::error::ApiError;
use crate::request::{Params, snippet};

pub(crate) const PRODUCT: Product = Product {
    version: "2015-05-01",
    style: Style::Rpc,
    ops: &[
        users::OPS,
        keys::OPS,
        groups::OPS,
        policies::OPS,
        attach::OPS,
        simulate::OPS,
    ],
};

/// `PolicyType` (`System` | `Custom`), required.
pub(crate) fn policy_type(params: &Params) -> Result<PolicyType, ApiError> {
    parse_policy_type(params.required("PolicyType")?)
}

pub(crate) fn parse_policy_type(value: &str) -> Result<PolicyType, ApiError> {
    match value {
        "System" => Ok(PolicyType::System),
        "Custom" => Ok(PolicyType::Custom),
        other => Err(ApiError::invalid(
            "PolicyType",
            format!(
                "`PolicyType` must be `System` or `Custom`, not `{}`",
                snippet(other)
            ),
        )),
    }
}

/// `PolicyType` + `PolicyName`.
pub(crate) fn policy_ref(params: &Params) -> Result<PolicyRef, ApiError> {
    let policy_type = policy_type(params)?;
    let name = params.required("PolicyName")?;
    Ok(PolicyRef {
        policy_type,
        name: name.to_owned(),
    })
}
