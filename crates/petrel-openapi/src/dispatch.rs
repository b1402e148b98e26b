//! Dispatch on `x-acs-version` and `x-acs-action` (or, for RPC v1 requests, the `Version` and
//! `Action` query parameters): the version picks the product and its envelope, the action the
//! operation. ROA operations also check their method and path, whose segments carry parameters.

use std::sync::Arc;

use petrel_broker::Broker;
use petrel_service::{Caller, Service};
use serde_json::{Map, Value};

use crate::envelope::Style;
use crate::error::ApiError;
use crate::request::{ApiRequest, Params, match_path, parse_int, snippet};

/// An operation: reads the request, calls the service, returns the answer's fields (RPC) or its
/// `data` (ROA).
pub(crate) type Handler = fn(&Ctx<'_>) -> Result<Value, ApiError>;

/// One operation of a product.
pub(crate) struct Op {
    /// The `x-acs-action` value.
    pub action: &'static str,
    /// For ROA: the method and path template (`/instances/{instanceId}`).
    pub route: Option<(&'static str, &'static str)>,
    /// What it does.
    pub handler: Handler,
}

/// One API version of one product.
pub(crate) struct Product {
    /// The `x-acs-version` value.
    pub version: &'static str,
    /// Its envelope.
    pub style: Style,
    /// Its operations, in groups.
    pub ops: &'static [&'static [Op]],
}

/// Everything an operation sees.
pub(crate) struct Ctx<'a> {
    pub service: &'a Service,
    /// The broker, when the server has one (message operations).
    pub broker: Option<&'a Arc<Broker>>,
    pub caller: &'a Caller,
    pub req: &'a ApiRequest,
    /// Decoded path placeholders (ROA).
    pub path: Vec<(String, String)>,
    /// The JSON body (ROA; empty for RPC).
    pub body: Map<String, Value>,
}

impl Ctx<'_> {
    /// Query (and form-body) parameters.
    pub fn params(&self) -> &Params {
        &self.req.params
    }

    /// A path placeholder; matching guarantees it is there.
    pub fn path(&self, name: &str) -> &str {
        self.path
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A string from the JSON body, falling back to the query.
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(self.params().opt(name).map(str::to_owned)),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(ApiError::invalid(
                name,
                format!("`{name}` must be a string"),
            )),
        }
    }

    /// An integer from the JSON body or the query, within `min..=max`.
    pub fn number(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.body.get(name) {
            Some(Value::Number(n)) => parse_int(name, &n.to_string(), min, max).map(Some),
            Some(Value::String(s)) => parse_int(name, s, min, max).map(Some),
            None | Some(Value::Null) => self.params().int(name, min, max),
            Some(_) => Err(ApiError::invalid(
                name,
                format!("`{name}` must be an integer"),
            )),
        }
    }
}

/// The operation a request names, with its product.
pub(crate) struct Resolved {
    pub style: Style,
    pub op: &'static Op,
    pub path: Vec<(String, String)>,
}

/// The product of `version`, when it is one this server speaks.
pub(crate) fn product(version: &str) -> Option<&'static Product> {
    crate::PRODUCTS.iter().find(|p| p.version == version)
}

/// The `(action, version)` a request names: the headers, else the RPC v1 query parameters.
pub(crate) fn action_and_version(req: &ApiRequest) -> (Option<String>, Option<String>) {
    let pick = |header: &str, param: &str| {
        req.header(header)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .or_else(|| req.params.opt(param).map(str::to_owned))
    };
    (
        pick("x-acs-action", "Action"),
        pick("x-acs-version", "Version"),
    )
}

/// Finds the operation; the error carries the envelope style it should be rendered in.
pub(crate) fn resolve(req: &ApiRequest) -> Result<Resolved, (Style, ApiError)> {
    let (action, version) = action_and_version(req);
    let Some(version) = version else {
        return Err((Style::Rpc, ApiError::missing("Version")));
    };
    let Some(product) = product(&version) else {
        return Err((
            Style::Rpc,
            ApiError::new(
                400,
                "InvalidVersion",
                format!(
                    "api version `{}` is not served here; supported: {}",
                    snippet(&version),
                    crate::PRODUCTS
                        .iter()
                        .map(|p| p.version)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ));
    };
    let style = product.style;
    let Some(action) = action else {
        return Err((style, ApiError::missing("Action")));
    };
    let Some(op) = product
        .ops
        .iter()
        .flat_map(|group| group.iter())
        .find(|op| op.action == action)
    else {
        return Err((
            style,
            ApiError::new(
                404,
                "InvalidAction.NotFound",
                format!(
                    "action `{}` does not exist in api version `{version}`",
                    snippet(&action)
                ),
            ),
        ));
    };
    let path = match op.route {
        None => Vec::new(),
        Some((method, template)) => {
            let matched = if req.method.eq_ignore_ascii_case(method) {
                match_path(template, &req.path)
            } else {
                None
            };
            matched.ok_or_else(|| {
                (
                    style,
                    ApiError::new(
                        404,
                        "InvalidAction.NotFound",
                        format!(
                            "action `{action}` is served at `{method} {template}`, not at `{} {}`",
                            req.method,
                            snippet(&req.path)
                        ),
                    ),
                )
            })?
        }
    };
    Ok(Resolved { style, op, path })
}

/// An RPC operation.
pub(crate) const fn rpc(action: &'static str, handler: Handler) -> Op {
    Op {
        action,
        route: None,
        handler,
    }
}

/// A ROA operation at `method path`.
pub(crate) const fn roa(
    action: &'static str,
    method: &'static str,
    path: &'static str,
    handler: Handler,
) -> Op {
    Op {
        action,
        route: Some((method, path)),
        handler,
    }
}
