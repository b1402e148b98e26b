//! Form bodies with repeated keys: a multi-select sends one `name=value` pair per selection,
//! which the usual single-valued form extractors cannot hold.

use axum::body::Bytes;

/// The fields of a submitted form, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses an `application/x-www-form-urlencoded` body (or query string).
    pub fn parse(body: &[u8]) -> Fields {
        Fields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// Parses a body received by a handler.
    pub fn from_bytes(body: &Bytes) -> Fields {
        Fields::parse(body)
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The first value of `name` without trimming (passwords, message bodies).
    pub fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every non-empty value of `name`, trimmed, in order, without duplicates.
    pub fn all(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (k, v) in &self.0 {
            let v = v.trim();
            if k == name && !v.is_empty() && !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
        out
    }

    /// Whether a checkbox `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_every_selection_once() {
        let f = Fields::parse(b"p=user%3Aa&p=user%3Ab&p=user%3Aa&x=+1+&p=");
        assert_eq!(f.all("p"), vec!["user:a", "user:b"]);
        assert_eq!(f.get("x"), "1");
        assert_eq!(f.raw("x"), " 1 ");
        assert_eq!(f.get("missing"), "");
    }
}
