//! What every page shares: the frame (who is signed in, the CSRF token, the section, the
//! language), the one message catalogue for English and Chinese, and rendering to a response.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::error::ConsoleError;

/// The frame around every signed-in page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The signed-in login name.
    pub who: String,
    /// The session's CSRF token, embedded in every form.
    pub csrf: String,
    /// The highlighted navigation entry.
    pub section: &'static str,
    /// Whether the account has activated the messaging service.
    pub activated: bool,
    /// `en` or `zh`.
    pub lang: &'static str,
}

impl Chrome {
    /// The text of `key` in this page's language (the key itself when the catalogue lacks it, so
    /// a missing entry shows up instead of an empty label).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        translate(self.lang, key)
    }

    /// Whether `section` is the current one (for the navigation highlight).
    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }
}

/// `(key, English, Chinese)`.
const CATALOGUE: &[(&str, &str, &str)] = &[
    ("nav.overview", "Overview", "概览"),
    ("nav.instances", "Instances", "实例列表"),
    ("nav.users", "Users", "用户"),
    ("nav.grants", "Grants", "授权"),
    ("nav.policies", "Policies", "权限策略"),
    ("nav.resource_groups", "Resource groups", "资源组"),
    ("nav.identities", "Identities", "身份管理"),
    ("nav.permissions", "Permissions", "权限管理"),
    ("nav.mq", "Message Queue", "消息队列"),
    ("signout", "Sign out", "退出登录"),
    ("create", "Create", "创建"),
    ("search", "Search", "搜索"),
    ("grant", "Grant Permission", "新增授权"),
    (
        "activate.title",
        "Activate ApsaraMQ for RocketMQ",
        "开通云消息队列 RocketMQ 版",
    ),
    ("activate.now", "Activate now", "立即开通"),
    (
        "activate.terms",
        "I have read and agree to the terms of service",
        "我已阅读并同意服务协议",
    ),
    ("theme", "Theme", "主题"),
];

fn translate<'a>(lang: &str, key: &'a str) -> &'a str {
    match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, zh)) => {
            if lang == "zh" {
                zh
            } else {
                en
            }
        }
        None => key,
    }
}

/// Renders a template into an HTML response.
pub fn page(t: &impl Template) -> Result<Response, ConsoleError> {
    Ok(Html(t.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_both_languages_for_every_key() {
        for (key, en, zh) in CATALOGUE {
            assert!(!en.is_empty() && !zh.is_empty(), "{key}");
            assert_eq!(translate("en", key), *en);
            assert_eq!(translate("zh", key), *zh);
        }
        assert_eq!(translate("zh", "no.such.key"), "no.such.key");
    }
}
