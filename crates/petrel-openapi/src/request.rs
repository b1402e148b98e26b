//! A management request as the operations read it: the raw parts the signature covers, and the
//! decoded parameters — the query (and a form-encoded body) for RPC products, plus the JSON body
//! and the path segments for RocketMQ 2022-08-01.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// One request, read whole.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as received, still percent-encoded.
    pub path: String,
    /// The query as received, without `?`.
    pub query: String,
    /// Every header, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Decoded query parameters, then form-body parameters.
    pub params: Params,
    /// The peer, when the server knows it.
    pub source_ip: Option<IpAddr>,
}

impl ApiRequest {
    pub fn new(
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        source_ip: Option<IpAddr>,
    ) -> Self {
        let mut pairs = decode_form(&query);
        let form = headers.iter().any(|(k, v)| {
            k == "content-type"
                && v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
        });
        if form {
            pairs.extend(decode_form(&String::from_utf8_lossy(&body)));
        }
        ApiRequest {
            method,
            path,
            query,
            headers,
            body,
            params: Params(pairs),
            source_ip,
        }
    }

    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON object body of a ROA request; an empty body is an empty object.
    pub fn json_body(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::invalid(
                "Body",
                "the request body must be a JSON object",
            )),
            Err(e) => Err(ApiError::invalid(
                "Body",
                format!("the request body is not valid JSON: {e}"),
            )),
        }
    }
}

/// Decoded `key=value` parameters, in arrival order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `name`, even when empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` when present and not empty.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// The value of `name`, or `MissingParameter.<name>`.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.opt(name).ok_or_else(|| ApiError::missing(name))
    }

    /// A boolean (`true`/`false` in any case: Python sends `True`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.opt(name).map(|v| parse_bool(name, v)).transpose()
    }

    /// An integer within `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.opt(name)
            .map(|v| parse_int(name, v, min, max))
            .transpose()
    }

    /// The values of a flat repeat-list `Prefix.N` (1-based), in index order.
    pub fn indexed(&self, prefix: &str) -> Vec<String> {
        let mut values: Vec<(u32, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let index = k.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
                Some((index, v.clone()))
            })
            .collect();
        values.sort_by_key(|(i, _)| *i);
        values.into_iter().map(|(_, v)| v).collect()
    }

    /// The entries of a repeat-list `Prefix.N.Field` (1-based), in index order, each as its
    /// fields.
    pub fn repeated(&self, prefix: &str) -> Vec<Params> {
        let mut entries: Vec<(u32, Params)> = Vec::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let Some((index, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(index) = index.parse::<u32>() else {
                continue;
            };
            match entries.iter_mut().find(|(i, _)| *i == index) {
                Some((_, p)) => p.0.push((field.to_owned(), v.clone())),
                None => entries.push((index, Params(vec![(field.to_owned(), v.clone())]))),
            }
        }
        entries.sort_by_key(|(i, _)| *i);
        entries.into_iter().map(|(_, p)| p).collect()
    }
}

pub(crate) fn parse_bool(name: &str, v: &str) -> Result<bool, ApiError> {
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid(
            name,
            format!("`{name}` must be `true` or `false`, not `{}`", snippet(v)),
        ))
    }
}

pub(crate) fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(
            name,
            format!(
                "`{name}` must be an integer from {min} to {max}, not `{}`",
                snippet(v)
            ),
        )),
    }
}

/// Shortens user input for a message.
pub(crate) fn snippet(v: &str) -> String {
    v.chars().take(100).collect()
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space).
pub(crate) fn decode_form(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k, true), decode_component(v, true))
        })
        .collect()
}

/// Percent-decodes one component; `+` becomes a space only in form encoding.
pub(crate) fn decode_component(s: &str, plus_is_space: bool) -> String {
    let bytes: Vec<u8> = if plus_is_space {
        s.bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect()
    } else {
        s.as_bytes().to_vec()
    };
    percent_encoding::percent_decode(&bytes)
        .decode_utf8_lossy()
        .into_owned()
}

/// Matches a raw path against a template such as `/instances/{instanceId}/topics/{topicName}`,
/// returning the percent-decoded placeholders. Matching happens on the raw segments, so an
/// encoded `/` (`%2F`) stays inside its segment.
pub(crate) fn match_path(template: &str, raw_path: &str) -> Option<Vec<(String, String)>> {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = raw_path.trim_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut out = Vec::new();
    for (ts, ps) in t.iter().zip(&p) {
        if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if ps.is_empty() {
                return None;
            }
            out.push((name.to_owned(), decode_component(ps, false)));
        } else if ts != ps {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_turns_plus_into_space_and_keeps_utf8() {
        let pairs = decode_form("DisplayName=Alice+%C3%84+%26%3D%2B+%2Fx&UserName=alice&Flag");
        assert_eq!(pairs[0], ("DisplayName".into(), "Alice Ä &=+ /x".into()));
        assert_eq!(pairs[2], ("Flag".into(), String::new()));
    }

    #[test]
    fn path_placeholders_decode_after_matching_so_slashes_stay_in_their_segment() {
        let got = match_path(
            "/instances/{instanceId}/topics/{topicName}",
            "/instances/rmq-cn-test/topics/topic%20a%2Fb",
        );
        assert_eq!(
            got,
            Some(vec![
                ("instanceId".into(), "rmq-cn-test".into()),
                ("topicName".into(), "topic a/b".into())
            ])
        );
        assert_eq!(match_path("/instances/{instanceId}", "/instances"), None);
        assert_eq!(
            match_path("/instances/{i}/topics", "/instances/x/groups"),
            None
        );
    }

    #[test]
    fn repeat_lists_group_fields_by_index_in_order() {
        let p = Params(decode_form(
            "Resources.2.ResourceId=b&Resources.1.ResourceId=a&Resources.1.RegionId=r&Other=x",
        ));
        let list = p.repeated("Resources");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].opt("ResourceId"), Some("a"));
        assert_eq!(list[0].opt("RegionId"), Some("r"));
        assert_eq!(list[1].opt("ResourceId"), Some("b"));
    }

    #[test]
    fn booleans_accept_python_capitalisation_and_refuse_others_by_name() {
        let p = Params(decode_form("A=True&B=false&C=yes"));
        assert_eq!(p.bool("A").ok(), Some(Some(true)));
        assert_eq!(p.bool("B").ok(), Some(Some(false)));
        let e = p.bool("C").err().map(|e| e.code);
        assert_eq!(e.as_deref(), Some("InvalidParameter.C"));
    }
}
