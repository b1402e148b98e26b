//! The RAM policy document model: `Version` "1" and a list of statements, each with an effect,
//! `Action` or `NotAction`, `Resource` and an optional `Condition`.
//!
//! Documents are immutable once parsed; every wildcard is compiled at parse time so that
//! evaluation ([`crate::eval`]) does no parsing and no allocation. Reading JSON text lives in
//! [`parse`], writing the canonical form in [`print`].

pub(crate) mod parse;
pub(crate) mod print;

use std::fmt;

use petrel_model::{Arn, ErrorCode};

use crate::condition::{Condition, Context};
use crate::glob::{Case, Glob};

/// The longest document text RAM accepts, in characters (whitespace counts).
pub const MAX_DOCUMENT_CHARS: usize = 6_144;

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants the matched actions.
    Allow,
    /// Refuses the matched actions, whatever else allows them.
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`, as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statement of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    not_action: bool,
    actions: Vec<Glob>,
    resources: Vec<ResourcePattern>,
    conditions: Vec<Condition>,
}

/// A `Resource` entry. `*` matches everything; otherwise each ARN segment is its own wildcard
/// pattern, so a `*` never spills from the relative id into the account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourcePattern {
    text: Box<str>,
    segments: Option<[Glob; 4]>,
}

impl ResourcePattern {
    /// `*`-only patterns, or `acs:<service>:<region>:<account>:<relative>`.
    pub(crate) fn new(text: &str) -> Option<ResourcePattern> {
        if !text.is_empty() && text.bytes().all(|b| b == b'*') {
            return Some(ResourcePattern {
                text: text.into(),
                segments: None,
            });
        }
        let mut parts = text.splitn(5, ':');
        if parts.next() != Some("acs") {
            return None;
        }
        let mut seg = || parts.next().map(|p| Glob::new(p, Case::Sensitive));
        let segments = [seg()?, seg()?, seg()?, seg()?];
        if segments[0].as_str().is_empty() || segments[3].as_str().is_empty() {
            return None;
        }
        Some(ResourcePattern {
            text: text.into(),
            segments: Some(segments),
        })
    }

    /// `*`: every resource.
    pub(crate) fn any() -> ResourcePattern {
        ResourcePattern {
            text: "*".into(),
            segments: None,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches every resource (`*`, `acs:*:*:*:*`).
    pub(crate) fn matches_everything(&self) -> bool {
        self.segments
            .as_ref()
            .is_none_or(|s| s.iter().all(Glob::matches_everything))
    }

    pub(crate) fn is_match(&self, arn: &Arn) -> bool {
        match &self.segments {
            None => true,
            Some([service, region, account, relative]) => {
                service.is_match(arn.service())
                    && account.is_match(arn.account())
                    && relative.is_match(arn.relative())
                    && region.is_match(arn.region())
            }
        }
    }
}

impl Statement {
    pub(crate) fn from_parts(
        sid: Option<String>,
        effect: Effect,
        not_action: bool,
        actions: Vec<Glob>,
        resources: Vec<ResourcePattern>,
        conditions: Vec<Condition>,
    ) -> Statement {
        Statement {
            sid,
            effect,
            not_action,
            actions,
            resources,
            conditions,
        }
    }

    /// The optional statement id.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Whether the action list is a `NotAction` ("every action except these").
    pub fn is_not_action(&self) -> bool {
        self.not_action
    }

    /// The `Action` (or `NotAction`) patterns as written.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = &str> {
        self.actions.iter().map(Glob::as_str)
    }

    /// The `Resource` patterns as written.
    pub fn resources(&self) -> impl ExactSizeIterator<Item = &str> {
        self.resources.iter().map(ResourcePattern::as_str)
    }

    /// The conditions, flattened to one entry per operator and key, in document order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub(crate) fn action_globs(&self) -> &[Glob] {
        &self.actions
    }

    pub(crate) fn resource_patterns(&self) -> &[ResourcePattern] {
        &self.resources
    }

    /// Whether the statement applies to the request (its effect is the caller's business).
    /// Cheapest test first: actions, then resources, then conditions.
    pub(crate) fn applies(&self, action: &str, resource: &Arn, ctx: &Context) -> bool {
        let listed = self.actions.iter().any(|g| g.is_match(action));
        listed != self.not_action
            && self.resources.iter().any(|r| r.is_match(resource))
            && self.conditions.iter().all(|c| c.holds(ctx))
    }
}

impl PolicyDocument {
    /// Parses and validates document text as a RAM identity policy, refusing texts longer than
    /// [`MAX_DOCUMENT_CHARS`].
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        let len = text.chars().count();
        if len > MAX_DOCUMENT_CHARS {
            return Err(PolicyError::TooLong(TooLongError { len }));
        }
        parse::parse_document(text)
    }

    /// Like [`PolicyDocument::parse`] without the length limit: for re-reading text Petrel
    /// printed itself (the pretty form of a document at the limit is longer than the limit).
    /// User input must go through [`PolicyDocument::parse`].
    pub fn parse_unlimited(text: &str) -> Result<PolicyDocument, PolicyError> {
        parse::parse_document(text)
    }

    pub(crate) fn from_statements(statements: Vec<Statement>) -> PolicyDocument {
        PolicyDocument { statements }
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The canonical pretty-printed JSON: two-space indentation, elements in the order
    /// `Sid, Effect, Action|NotAction, Resource, Condition`, single values as strings and lists
    /// as arrays. Parsing it gives back an equal document.
    pub fn to_json_pretty(&self) -> String {
        print::pretty(self)
    }
}

impl fmt::Display for PolicyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json_pretty())
    }
}

impl std::str::FromStr for PolicyDocument {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyDocument::parse(s)
    }
}

/// Why a policy document was refused. Every variant is `MalformedPolicyDocument` to callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is longer than [`MAX_DOCUMENT_CHARS`].
    #[error(transparent)]
    TooLong(TooLongError),
    /// The text is not JSON.
    #[error(transparent)]
    Syntax(SyntaxError),
    /// The JSON is not a valid policy; the message names the place and the problem.
    #[error(transparent)]
    Invalid(InvalidPolicyError),
}

impl PolicyError {
    /// The stable error code: always `MalformedPolicyDocument`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::MalformedPolicyDocument
    }
}

/// The document text is too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy document is {len} characters long, more than the limit of 6144")]
pub struct TooLongError {
    len: usize,
}

impl TooLongError {
    /// The length of the refused text, in characters.
    pub fn chars(&self) -> usize {
        self.len
    }
}

/// The document text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid json at line {line}:{column}: {message}")]
pub struct SyntaxError {
    line: usize,
    column: usize,
    message: String,
}

impl SyntaxError {
    /// 1-based line of the error.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the error.
    pub fn column(&self) -> usize {
        self.column
    }
}

/// The JSON is well-formed but not a valid policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}{problem}")]
pub struct InvalidPolicyError {
    statement: Option<usize>,
    place: String,
    problem: String,
}

impl InvalidPolicyError {
    /// The 1-based number of the offending statement, when the problem is inside one.
    pub fn statement_number(&self) -> Option<usize> {
        self.statement
    }

    /// The problem without the place prefix.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// Shortens user input for an error message, keeping it on one line.
pub(crate) fn snippet(text: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}
