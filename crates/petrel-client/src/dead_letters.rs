//! A consumer group's dead letters, through ONS 2019-02-14 `OnsDLQMessage*`: list a time
//! range, show one by message id, re-send one to the group.

use serde::{Deserialize, Serialize};

use crate::account::ONS_VERSION;
use crate::error::ClientError;
use crate::transport::{Client, Query, decode};

/// One property of a dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Property {
    pub name: String,
    pub value: String,
}

/// The properties of a dead letter, as ONS nests them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PropertyList {
    pub message_property: Vec<Property>,
}

/// A dead letter: the original message, how often it was delivered, and (as properties) where
/// it came from, why and whether it was re-sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeadLetter {
    pub msg_id: String,
    pub topic: String,
    pub instance_id: String,
    pub born_timestamp: i64,
    pub born_host: String,
    /// When it became a dead letter, ms since the epoch.
    pub store_timestamp: i64,
    pub store_size: u64,
    /// Deliveries before it became a dead letter.
    pub reconsume_times: u32,
    pub body: String,
    pub property_list: PropertyList,
}

impl DeadLetter {
    /// The value of property `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.property_list
            .message_property
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

/// A page of dead letters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeadLetterPage {
    pub current_page: i64,
    pub max_page_count: i64,
    #[serde(rename = "MsgFoundList")]
    pub found: FoundList,
}

/// The messages of a page, as ONS nests them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FoundList {
    pub ons_rest_message_do: Vec<DeadLetter>,
}

impl Client {
    /// `OnsDLQMessagePageQueryByGroupId`: page `page` (from 1) of `group`'s dead letters that
    /// became so within `[begin_ms, end_ms]`.
    pub async fn list_dead_letters(
        &self,
        instance: &str,
        group: &str,
        range: (Option<i64>, Option<i64>),
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<DeadLetterPage, ClientError> {
        let q = Query::new()
            .set("InstanceId", instance)
            .set("GroupId", group)
            .opt("BeginTime", range.0)
            .opt("EndTime", range.1)
            .opt("CurrentPage", page)
            .opt("PageSize", page_size);
        let answer = self
            .rpc(ONS_VERSION, "OnsDLQMessagePageQueryByGroupId", q.0)
            .await?;
        decode("OnsDLQMessagePageQueryByGroupId", &answer, "/MsgFoundDo")
    }

    /// `OnsDLQMessageGetById`: the newest dead letter of message `msg_id`.
    pub async fn get_dead_letter(
        &self,
        instance: &str,
        group: &str,
        msg_id: &str,
    ) -> Result<DeadLetter, ClientError> {
        let q = Query::new()
            .set("InstanceId", instance)
            .set("GroupId", group)
            .set("MsgId", msg_id);
        let answer = self.rpc(ONS_VERSION, "OnsDLQMessageGetById", q.0).await?;
        decode("OnsDLQMessageGetById", &answer, "/Data")
    }

    /// `OnsDLQMessageResendById`: deliver message `msg_id` to `group` again, from attempt 1.
    pub async fn resend_dead_letter(
        &self,
        instance: &str,
        group: &str,
        msg_id: &str,
    ) -> Result<String, ClientError> {
        let q = Query::new()
            .set("InstanceId", instance)
            .set("GroupId", group)
            .set("MsgId", msg_id);
        let answer = self
            .rpc(ONS_VERSION, "OnsDLQMessageResendById", q.0)
            .await?;
        decode("OnsDLQMessageResendById", &answer, "/Data/MsgId")
    }
}
