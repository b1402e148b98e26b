//! The answer envelopes. RPC products (RAM, ResourceManager, STS, ONS) answer a PascalCase object
//! with `RequestId`; RocketMQ 2022-08-01 (ROA) wraps its `data` in a camelCase object. Every
//! answer is JSON with a status below 400 on success (the SDKs fail on an empty body, even
//! on 204), and carries its request id in the body and in `x-acs-request-id`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::error::ApiError;

/// Which envelope a product uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// PascalCase, `RequestId` beside the fields.
    Rpc,
    /// camelCase `{requestId, success, code, message, httpStatusCode, data}`.
    Roa,
}

/// A success answer: `body` is the operation's object (RPC) or its `data` (ROA).
pub(crate) fn success(style: Style, request_id: &str, body: Value) -> Response {
    let value = match style {
        Style::Rpc => {
            let mut map = match body {
                Value::Object(m) => m,
                Value::Null => Map::new(),
                other => {
                    let mut m = Map::new();
                    m.insert("Data".to_owned(), other);
                    m
                }
            };
            map.insert("RequestId".to_owned(), json!(request_id));
            Value::Object(map)
        }
        Style::Roa => json!({
            "requestId": request_id,
            "success": true,
            "code": "Success",
            "message": "operation success",
            "httpStatusCode": 200,
            "dynamicCode": null,
            "dynamicMessage": null,
            "data": body,
        }),
    };
    respond(200, request_id, &value)
}

/// An error answer with the error's status.
pub(crate) fn failure(style: Style, request_id: &str, error: &ApiError) -> Response {
    let value = match style {
        Style::Rpc => {
            let mut v = json!({
                "RequestId": request_id,
                "HostId": "petrel",
                "Code": error.code,
                "Message": error.message,
                "Recommend": "",
            });
            if let (Some(detail), Value::Object(m)) = (&error.access_denied_detail, &mut v) {
                m.insert("AccessDeniedDetail".to_owned(), detail.clone());
            }
            v
        }
        Style::Roa => {
            let mut v = json!({
                "requestId": request_id,
                "success": false,
                "code": error.code,
                "message": error.message,
                "httpStatusCode": error.status,
                "dynamicCode": null,
                "dynamicMessage": null,
            });
            if let (Some(detail), Value::Object(m)) = (&error.access_denied_detail, &mut v) {
                m.insert("accessDeniedDetail".to_owned(), detail.clone());
            }
            v
        }
    };
    respond(error.status, request_id, &value)
}

fn respond(status: u16, request_id: &str, value: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [("content-type", "application/json;charset=utf-8")],
        value.to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", v);
    }
    response
}

/// RPC products' time format: `2015-01-23T12:33:18Z`.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// RocketMQ 2022-08-01's time format: `2015-01-23 12:33:18`.
pub(crate) fn roa_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// `{ "<outer>": { "<inner>": [items] } }`, the doubled wrapping of RPC lists.
pub(crate) fn wrapped(inner: &str, items: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(inner.to_owned(), Value::Array(items));
    Value::Object(m)
}
