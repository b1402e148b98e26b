//! Petrel's policy engine, modelled on Alibaba Cloud RAM: policy documents (parse, validate with
//! located errors, canonical printing), the built-in system policies, the evaluator (explicit
//! Deny > Allow > implicit deny; account vs resource-group scope; conditions; no crossing of
//! accounts), high-risk classification, and request-signature verification (MQv2-HMAC-SHA1,
//! ACS3-HMAC-SHA256 and the legacy HMAC-SHA1 schemes).
//!
//! Pure: no I/O, no clock, no async. The caller supplies the attachments and the current time.
//!
//! ```
//! use petrel_iam::{Attachment, Context, PolicyDocument, PolicyType, Principal, Request, Scope, Via, evaluate};
//! use petrel_model::Arn;
//! use std::sync::Arc;
//!
//! let doc = PolicyDocument::parse(r#"{"Version":"1","Statement":[
//!     {"Effect":"Allow","Action":"mq:PUB","Resource":"acs:mq:*:123:rmq-1%orders"}]}"#)?;
//! let alice = Principal::user("123", "alice");
//! let attachments = [Attachment {
//!     policy_name: "send-orders".into(),
//!     policy_type: PolicyType::Custom,
//!     version_id: "v1".into(),
//!     document: Arc::new(doc),
//!     scope: Scope::Account,
//!     via: Via::Direct,
//! }];
//! let topic = Arn::mq_topic("cn-hangzhou", "123", "rmq-1", "orders");
//! let ctx = Context::new(time::OffsetDateTime::UNIX_EPOCH);
//! let request = Request { principal: &alice, action: "mq:PUB", resource: &topic, resource_group: None, context: &ctx };
//! let decision = evaluate(&request, &attachments)?;
//! assert!(decision.is_allowed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod condition;
mod decision;
mod eval;
mod glob;
mod policy;
mod risk;
pub mod signature;
mod system;

pub use condition::{Condition, ConditionOperator, Context};
pub use decision::{
    AccessDeniedDetail, AuthPrincipalType, Decision, DecisionEffect, DeniedPolicyType,
    MatchedStatement, NoPermissionType,
};
pub use eval::{
    Attachment, PolicyType, Principal, PrincipalKind, Request, RequestError, SYSTEM_ACCOUNT, Scope,
    Via, evaluate,
};
pub use policy::{
    Effect, InvalidPolicyError, MAX_DOCUMENT_CHARS, PolicyDocument, PolicyError, Statement,
    SyntaxError, TooLongError,
};
pub use risk::{Risk, classify};
pub use system::{SystemPolicy, system_policies, system_policy};
