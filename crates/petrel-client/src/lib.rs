//! A client of Petrel's Alibaba-Cloud-compatible management API, talking the way the official
//! SDKs do: every call signed with ACS3-HMAC-SHA256 (ram-and-openapi.md §6.2), RPC products
//! (RAM 2015-05-01, STS 2015-04-01, ResourceManager 2020-03-31, ONS 2019-02-14) as `POST /` with
//! the parameters in the query, RocketMQ 2022-08-01 as ROA REST paths with JSON bodies. Both
//! envelopes are read; a refusal is a [`ClientError::Api`] carrying the server's `Code`,
//! `Message`, `RequestId`, HTTP status and `AccessDeniedDetail`.
//!
//! The typed operations (`Client::create_user`, `Client::create_topic`, …) build the requests
//! and read the answers; [`Client::rpc`] and [`Client::roa`] reach any other operation.
//!
//! ```no_run
//! # async fn demo() -> Result<(), petrel_client::ClientError> {
//! use petrel_client::{Client, Credentials, Endpoint};
//! let client = Client::new(
//!     Endpoint::parse("http://127.0.0.1:8080")?,
//!     Credentials::new("LTAI…", "secret…"),
//! )?;
//! for user in client.list_users().await? {
//!     println!("{}", user.user_name);
//! }
//! # Ok(()) }
//! ```

mod account;
mod dead_letters;
mod error;
mod operator;
mod policies;
mod ram;
mod rocketmq;
pub mod sign;
mod subscriptions;
mod transport;

pub use account::{
    Activation, CallerIdentity, ONS_VERSION, PolicyAttachment, RM_VERSION, ResourceGroup,
    STS_VERSION,
};
pub use dead_letters::{DeadLetter, DeadLetterPage, FoundList, Property, PropertyList};
pub use error::{AccessDeniedDetail, ApiError, ClientError};
pub use operator::{AccountCredentials, AccountSummary, DeletedAccount, OperatorClient};
pub use policies::{
    AttachedPolicy, Grant, GrantRequest, Policy, PolicyType, PolicyVersion, Principal, Scope,
    Simulation,
};
pub use ram::{
    AccessKey, AccessKeyStatus, Group, GroupMember, LoginProfile, NewUser, RAM_VERSION, User,
};
pub use rocketmq::{
    ConsumerGroup, ConsumerGroupLag, DeliveryState, Instance, Lag, Message, MessagePage,
    MessagePaging, MessageQuery, NewConsumerGroup, NewInstance, ROCKETMQ_VERSION, ResetOffset,
    RetryPolicy, TestMessage, Topic,
};
pub use subscriptions::{Connection, SubscriptionClient, SubscriptionInfo};
pub use transport::{Client, Credentials, Endpoint, USER_AGENT};
