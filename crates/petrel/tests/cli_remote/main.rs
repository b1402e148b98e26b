//! The CLI in remote mode, as an operator drives it against a running `petrel serve`: the
//! product-page workflow (activate, users with keys and console passwords, grants at account and
//! resource-group scope, a custom policy), what a RAM user may and may not do with its own key,
//! and the exit statuses and error output scripts rely on. Only the `petrel` binary is used.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test"
)]

#[path = "../common/mod.rs"]
mod common;
mod harness;
mod profiles;
mod workflow;
