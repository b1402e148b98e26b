//! Message query: one topic's messages by message id, by key (bounded, newest first, saying
//! when more exist) or by store-time range (oldest first, paged), and a message's detail page
//! with its properties and where each consumer group of the instance stands with it.
//!
//! The service authorizes (`rocketmq:ListMessages`, `rocketmq:GetMessageDetail`) and names the
//! topic and groups; the broker's id/key index and time scan do the finding.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use petrel_broker::{DeliveryState, GroupRef, QueriedMessage, TimeCursor, TopicRef};
use petrel_meta::{Instance, Topic};
use petrel_service::MessageQueryTarget;

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::i18n::fill;
use crate::mqshared::{
    broker, broker_error, enc, group_ref, input_time, now_ms, parse_input_time, time_text,
    topic_ref,
};
use crate::view::{Chrome, page};

/// Most messages a key query shows (the newest ones), as in the product.
pub const KEY_LIMIT: usize = 64;
/// Messages per page of a time-range query.
pub const TIME_PAGE: usize = 20;
/// Body bytes shown on the detail page.
const BODY_PREVIEW: usize = 64 << 10;
/// Body characters shown in a result row.
const ROW_PREVIEW: usize = 80;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/instances/{id}/messages", get(query))
        .route(
            "/instances/{id}/topics/{topic}/messages/{message_id}",
            get(detail),
        )
}

/// Where one consumer group stands with a message, in words.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub group: String,
    pub state: &'static str,
    pub text: String,
}

fn delivery_text(lang: &str, state: DeliveryState) -> String {
    match state {
        DeliveryState::NotDelivered => fill(lang, "st.not_delivered", &[]),
        DeliveryState::InFlight { attempt, until_ms } => {
            fill(lang, "st.in_flight", &[&attempt, &time_text(until_ms)])
        }
        DeliveryState::AwaitingRedelivery { attempt } => fill(lang, "st.awaiting", &[&attempt]),
        DeliveryState::Consumed => fill(lang, "st.consumed", &[]),
        DeliveryState::DeadLettered => fill(lang, "st.dead", &[]),
        DeliveryState::Finished => fill(lang, "st.finished", &[]),
    }
}

/// A message as the result table and the detail page show it.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub message_id: String,
    pub topic: String,
    pub message_type: &'static str,
    pub tag: String,
    pub keys: String,
    pub message_group: String,
    pub store_time: String,
    pub born_time: String,
    pub born_host: String,
    pub delivery_time: String,
    pub queue: String,
    pub body: String,
    pub body_size: usize,
    pub body_cut: bool,
    pub preview: String,
    pub user_properties: Vec<(String, String)>,
    pub trace_context: String,
    pub deliveries: Vec<DeliveryRow>,
    pub href: String,
}

fn message_row(lang: &str, instance: &str, q: &QueriedMessage) -> MessageRow {
    let m = &q.message;
    let shown = &m.body[..m.body.len().min(BODY_PREVIEW)];
    let body = String::from_utf8_lossy(shown).into_owned();
    let mut preview: String = body.chars().take(ROW_PREVIEW).collect();
    if body.chars().count() > ROW_PREVIEW {
        preview.push('…');
    }
    MessageRow {
        href: format!(
            "/console/instances/{}/topics/{}/messages/{}",
            enc(instance),
            enc(&m.topic),
            enc(&m.message_id)
        ),
        message_id: m.message_id.clone(),
        topic: m.topic.clone(),
        message_type: m.message_type.as_api_str(),
        tag: m.tag.clone().unwrap_or_default(),
        keys: m.keys.join(", "),
        message_group: m.message_group.clone().unwrap_or_default(),
        store_time: time_text(m.store_timestamp_ms),
        born_time: time_text(m.born_timestamp_ms),
        born_host: m.born_host.clone(),
        delivery_time: m.delivery_timestamp_ms.map(time_text).unwrap_or_default(),
        queue: fill(lang, "q.position", &[&m.queue_id, &m.queue_offset]),
        body_size: m.body.len(),
        body_cut: m.body.len() > BODY_PREVIEW,
        body,
        preview,
        user_properties: m.user_properties.clone(),
        trace_context: m.trace_context.clone().unwrap_or_default(),
        deliveries: q
            .deliveries
            .iter()
            .map(|d| DeliveryRow {
                group: d.group.clone(),
                state: d.state.as_str(),
                text: delivery_text(lang, d.state),
            })
            .collect(),
    }
}

/// The broker's names for a query's topic and the instance's groups.
fn targets(
    account: &str,
    instance: &str,
    target: &MessageQueryTarget,
) -> Result<(TopicRef, Vec<GroupRef>), ConsoleError> {
    let topic = topic_ref(account, instance, &target.topic)?;
    let groups = target
        .groups
        .iter()
        .map(|g| group_ref(account, instance, &g.group_id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((topic, groups))
}

fn cursor_text(c: TimeCursor) -> String {
    format!("{}.{}", c.store_ms, c.log_pos)
}

fn parse_cursor(v: &str) -> Result<TimeCursor, ConsoleError> {
    let bad = || ConsoleError::BadInput {
        field: "after",
        reason: format!("`{v}` is not a page position this console gave out"),
    };
    let (ms, pos) = v.split_once('.').ok_or_else(bad)?;
    Ok(TimeCursor {
        store_ms: ms.parse().map_err(|_| bad())?,
        log_pos: pos.parse().map_err(|_| bad())?,
    })
}

#[derive(Template)]
#[template(path = "messages.html")]
struct QueryPage {
    chrome: Chrome,
    instance: Instance,
    topics: Vec<Topic>,
    /// `id`, `key` or `time`.
    by: String,
    topic: String,
    message_id: String,
    key: String,
    start: String,
    end: String,
    /// Whether a query ran (the form alone shows nothing below it).
    ran: bool,
    rows: Vec<MessageRow>,
    /// What the result is: how many, in which order, whether bounded.
    summary: String,
    truncated: bool,
    next_href: String,
    first_href: String,
}

/// The outcome of one query.
struct Found {
    rows: Vec<MessageRow>,
    summary: String,
    truncated: bool,
    next: Option<TimeCursor>,
}

async fn query(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let by = match q.get("by") {
        "key" => "key",
        "time" => "time",
        _ => "id",
    }
    .to_owned();
    let caller = ctx.caller();
    let (instance, topics) = {
        let (svc, id) = (app.clone(), id.clone());
        blocking(move || {
            let instance = svc.service.get_instance(&caller, &id)?;
            let topics = svc.service.list_topics(&caller, &id)?;
            Ok((instance, topics))
        })
        .await?
    };
    let topic = match q.get("topic") {
        "" => topics.first().map(|t| t.name.clone()).unwrap_or_default(),
        t => t.to_owned(),
    };
    let now = now_ms();
    let start_ms = match q.get("start") {
        "" => now - 3_600_000,
        v => parse_input_time("start", v)?,
    };
    let end_ms = match q.get("end") {
        "" => now + 60_000,
        v => parse_input_time("end", v)?,
    };
    let message_id = q.get("message_id").to_owned();
    let key = q.get("key").to_owned();
    let after = match q.get("after") {
        "" => None,
        v => Some(parse_cursor(v)?),
    };
    let ran = !topic.is_empty()
        && match by.as_str() {
            "id" => !message_id.is_empty(),
            "key" => !key.is_empty(),
            _ => q.get("run") == "1" || after.is_some(),
        };
    let mut found = Found {
        rows: Vec::new(),
        summary: String::new(),
        truncated: false,
        next: None,
    };
    if ran {
        if start_ms > end_ms {
            return Err(ConsoleError::BadInput {
                field: "end",
                reason: "the end of the time range is before its start".to_owned(),
            });
        }
        let broker = broker(&app)?;
        let caller = ctx.caller();
        let (svc, inst, topic_name) = (app.clone(), id.clone(), topic.clone());
        let target = blocking(move || {
            Ok(svc
                .service
                .list_messages_target(&caller, &inst, &topic_name)?)
        })
        .await?;
        let (tref, groups) = targets(&ctx.session.account_id, &id, &target)?;
        let (by, id, message_id, key) = (by.clone(), id.clone(), message_id.clone(), key.clone());
        let lang = ctx.lang;
        found = blocking(move || {
            let rows = |ms: &[QueriedMessage]| -> Vec<MessageRow> {
                ms.iter().map(|m| message_row(lang, &id, m)).collect()
            };
            Ok(match by.as_str() {
                "id" => {
                    let m = broker
                        .message_by_id(&tref, &message_id, &groups)
                        .map_err(broker_error)?;
                    let rows = rows(m.as_slice());
                    Found {
                        summary: if rows.is_empty() {
                            fill(lang, "q.id_none", &[&message_id])
                        } else {
                            fill(lang, "q.id_found", &[])
                        },
                        rows,
                        truncated: false,
                        next: None,
                    }
                }
                "key" => {
                    let page = broker
                        .messages_by_key(&tref, &key, KEY_LIMIT, &groups)
                        .map_err(broker_error)?;
                    let n = page.messages.len();
                    Found {
                        summary: if page.truncated {
                            fill(lang, "q.key_truncated", &[&n, &key, &KEY_LIMIT])
                        } else if n == 0 {
                            fill(lang, "q.key_none", &[&key])
                        } else {
                            fill(lang, "q.key_found", &[&n, &key])
                        },
                        rows: rows(&page.messages),
                        truncated: page.truncated,
                        next: None,
                    }
                }
                _ => {
                    let page = broker
                        .messages_by_time(&tref, start_ms, end_ms, TIME_PAGE, after, &groups)
                        .map_err(broker_error)?;
                    let n = page.messages.len();
                    Found {
                        summary: fill(
                            lang,
                            if page.next.is_some() {
                                "q.time_more"
                            } else {
                                "q.time_last"
                            },
                            &[&n, &time_text(start_ms), &time_text(end_ms), &TIME_PAGE],
                        ),
                        rows: rows(&page.messages),
                        truncated: page.next.is_some(),
                        next: page.next,
                    }
                }
            })
        })
        .await?;
    }
    let base = format!(
        "/console/instances/{}/messages?by=time&run=1&topic={}&start={}&end={}",
        enc(&id),
        enc(&topic),
        enc(&input_time(start_ms)),
        enc(&input_time(end_ms))
    );
    page(&QueryPage {
        chrome,
        instance,
        topics,
        by,
        topic,
        message_id,
        key,
        start: input_time(start_ms),
        end: input_time(end_ms),
        ran,
        rows: found.rows,
        summary: found.summary,
        truncated: found.truncated,
        next_href: found
            .next
            .map(|c| format!("{base}&after={}", enc(&cursor_text(c))))
            .unwrap_or_default(),
        first_href: if after.is_some() { base } else { String::new() },
    })
}

#[derive(Template)]
#[template(path = "message.html")]
struct DetailPage {
    chrome: Chrome,
    instance_id: String,
    m: MessageRow,
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((id, topic, message_id)): Path<(String, String, String)>,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let broker = broker(&app)?;
    let caller = ctx.caller();
    let (svc, inst, topic_name) = (app.clone(), id.clone(), topic.clone());
    let target = blocking(move || {
        Ok(svc
            .service
            .message_detail_target(&caller, &inst, &topic_name)?)
    })
    .await?;
    let (tref, groups) = targets(&ctx.session.account_id, &id, &target)?;
    let mid = message_id.clone();
    let found = blocking(move || {
        broker
            .message_by_id(&tref, &mid, &groups)
            .map_err(broker_error)
    })
    .await?;
    let found = found.ok_or_else(|| ConsoleError::NotFound {
        what: format!("topic `{topic}` of instance `{id}` holds no message `{message_id}`"),
    })?;
    page(&DetailPage {
        chrome,
        m: message_row(ctx.lang, &id, &found),
        instance_id: id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_positions_round_trip_and_foreign_ones_are_refused() {
        let c = TimeCursor {
            store_ms: 1_700_000_000_000,
            log_pos: 42,
        };
        assert_eq!(parse_cursor(&cursor_text(c)).unwrap(), c);
        let err = parse_cursor("12-34").unwrap_err();
        assert!(err.to_string().contains("12-34"), "{err}");
    }
}
