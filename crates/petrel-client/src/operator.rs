//! A client of the operator API (`/operator/…` on the HTTP port): accounts as tenants. It is not
//! signed with an AccessKey — the operator token goes as a bearer token — and answers are plain
//! JSON, errors `{code, message}`; a refusal becomes a [`ClientError::Api`] like any other, so a
//! caller branches on its code the same way.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::{ApiError, ClientError};
use crate::transport::Endpoint;

/// How long one operator call may take (creating an account hashes a password).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// An account as the operator API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: String,
    pub alias: String,
    pub enabled: bool,
    pub activated: bool,
    pub instances: usize,
    pub created_at: String,
}

/// A new account's root login and first AccessKey, answered once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCredentials {
    pub account_id: String,
    pub login_name: String,
    /// The root password, when the server generated it (a chosen one is not sent back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub access_key_id: String,
    pub access_key_secret: String,
}

impl std::fmt::Debug for AccountCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCredentials")
            .field("account_id", &self.account_id)
            .field("login_name", &self.login_name)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A deleted account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedAccount {
    pub id: String,
    pub alias: String,
}

#[derive(Deserialize)]
struct AccountList {
    accounts: Vec<AccountSummary>,
}

#[derive(Deserialize)]
struct Deleted {
    deleted: DeletedAccount,
}

/// The operator API of one server, with the operator token.
pub struct OperatorClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    token: Zeroizing<String>,
}

impl std::fmt::Debug for OperatorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// One path segment, percent-encoded (aliases and ids are plain, but the input is the user's).
fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl OperatorClient {
    /// A client of `endpoint`'s operator API using `token`.
    pub fn new(endpoint: Endpoint, token: impl Into<String>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|source| ClientError::Transport {
                endpoint: endpoint.to_string(),
                source,
            })?;
        Ok(OperatorClient {
            http,
            endpoint,
            token: Zeroizing::new(token.into()),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.endpoint.url());
        let mut req = self
            .http
            .request(method, &url)
            .bearer_auth(self.token.as_str());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let transport = |source| ClientError::Transport {
            endpoint: self.endpoint.to_string(),
            source,
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(transport)?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if status >= 400 {
            return Err(match value {
                Some(v) if v["code"].is_string() => ClientError::Api(Box::new(ApiError {
                    action: action.to_owned(),
                    http_status: status,
                    code: v["code"].as_str().unwrap_or_default().to_owned(),
                    message: v["message"].as_str().unwrap_or_default().to_owned(),
                    request_id: None,
                    access_denied_detail: None,
                    retry_after_ms: None,
                })),
                _ => ClientError::UnexpectedStatus {
                    action: action.to_owned(),
                    status,
                    body: text.chars().take(300).collect(),
                },
            });
        }
        let invalid = |reason: String| ClientError::InvalidResponse {
            action: action.to_owned(),
            reason,
        };
        let value = value.ok_or_else(|| invalid("the answer is not json".to_owned()))?;
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// Every account.
    pub async fn list_accounts(&self) -> Result<Vec<AccountSummary>, ClientError> {
        let list: AccountList = self
            .call(
                "ListAccounts",
                reqwest::Method::GET,
                "/operator/accounts",
                None,
            )
            .await?;
        Ok(list.accounts)
    }

    /// Creates an account; without `password` the server generates the root password.
    pub async fn create_account(
        &self,
        alias: &str,
        password: Option<&str>,
    ) -> Result<AccountCredentials, ClientError> {
        self.call(
            "CreateAccount",
            reqwest::Method::POST,
            "/operator/accounts",
            Some(json!({ "alias": alias, "password": password })),
        )
        .await
    }

    /// Enables or disables the account named by alias or id.
    pub async fn set_account_enabled(
        &self,
        account: &str,
        enabled: bool,
    ) -> Result<AccountSummary, ClientError> {
        let (action, verb) = if enabled {
            ("EnableAccount", "enable")
        } else {
            ("DisableAccount", "disable")
        };
        self.call(
            action,
            reqwest::Method::POST,
            &format!("/operator/accounts/{}/{verb}", segment(account)),
            None,
        )
        .await
    }

    /// Deletes the account named by alias or id (`force`: even with instances).
    pub async fn delete_account(
        &self,
        account: &str,
        force: bool,
    ) -> Result<DeletedAccount, ClientError> {
        let gone: Deleted = self
            .call(
                "DeleteAccount",
                reqwest::Method::DELETE,
                &format!("/operator/accounts/{}?force={force}", segment(account)),
                None,
            )
            .await?;
        Ok(gone.deleted)
    }
}
