//! What every page shares: the frame (who is signed in, the CSRF token, the section, the
//! language, with text from the one catalogue in [`crate::i18n`]), and rendering to a response.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::error::ConsoleError;
use crate::i18n::translate;

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

/// Renders a template into an HTML response.
pub fn page(t: &impl Template) -> Result<Response, ConsoleError> {
    Ok(Html(t.render()?).into_response())
}
