//! `petrel message`: finding stored messages of a topic (`ListMessages` by id, key or store
//! time) and showing one (`GetMessageDetail`), with where each consumer group stands with it.
//! Messages live in the broker, so only a running server answers.

use clap::{ArgGroup, Args, Subcommand};
use petrel_client::{Message, MessagePaging, MessageQuery};

use super::Target;
use super::output::{Table, fields, opt};

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Find messages of a topic by message id, by key, or by store-time range.
    List(ListArgs),
    /// Show one message: properties, body preview and each consumer group's state.
    Get(GetArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("by").required(true).args(["id", "key", "from"])))]
pub struct ListArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Topic name.
    #[arg(long)]
    pub topic: String,
    /// Message id.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Message key.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Start of the store-time range: epoch milliseconds or `YYYY-MM-DD HH:mm:ss` (UTC).
    #[arg(long, value_name = "TIME", requires = "to")]
    pub from: Option<String>,
    /// End of the store-time range (inclusive), in the same forms as --from.
    #[arg(long, value_name = "TIME", requires = "from")]
    pub to: Option<String>,
    /// Messages per page (1–200) [server default: 10].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=200))]
    pub page_size: Option<u32>,
    /// Page number, from 1 (counted from --scroll-id when given).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page: Option<u32>,
    /// Continue a time range after the page that printed this scroll id.
    #[arg(long, value_name = "SCROLL_ID", requires = "from")]
    pub scroll_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Instance id.
    #[arg(long)]
    pub instance: String,
    /// Topic name.
    #[arg(long)]
    pub topic: String,
    /// Message id.
    pub id: String,
}

pub fn run(target: &Target, command: MessageCommand) -> anyhow::Result<()> {
    match command {
        MessageCommand::List(args) => list(target, args),
        MessageCommand::Get(args) => get(target, &args),
    }
}

fn query_of(args: ListArgs) -> MessageQuery {
    match (args.id, args.key, args.from, args.to) {
        (Some(id), ..) => MessageQuery::Id(id),
        (None, Some(key), ..) => MessageQuery::Key(key),
        (None, None, from, to) => MessageQuery::Time {
            start: from.unwrap_or_default(),
            end: to.unwrap_or_default(),
        },
    }
}

fn list(target: &Target, args: ListArgs) -> anyhow::Result<()> {
    let r = target.remote("message list")?;
    let (instance, topic) = (args.instance.clone(), args.topic.clone());
    let paging = MessagePaging {
        page_number: args.page,
        page_size: args.page_size,
        scroll_id: args.scroll_id.clone(),
    };
    let query = query_of(args);
    let page = r.call(r.client.list_messages(&instance, &topic, &query, &paging))?;
    r.print(&page, || {
        let mut t = Table::new(&["MESSAGE ID", "TAG", "KEYS", "STORE TIME", "SIZE"]);
        for m in &page.list {
            t.row(vec![
                m.message_id.clone(),
                opt(&m.message_tag),
                m.message_keys.join(","),
                opt(&m.store_time),
                m.body_size.to_string(),
            ]);
        }
        let total = page
            .total_count
            .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let mut out = format!(
            "{}\n\npage {} (size {}), total {total}",
            t.render(),
            page.page_number,
            page.page_size
        );
        if let Some(scroll) = &page.scroll_id {
            out.push_str(&format!("; next page: --scroll-id {scroll}"));
        } else if page.truncated {
            out.push_str("; more matches exist than the server returns");
        }
        out
    })
}

fn get(target: &Target, args: &GetArgs) -> anyhow::Result<()> {
    let r = target.remote("message get")?;
    let m = r.call(
        r.client
            .get_message_detail(&args.instance, &args.topic, &args.id),
    )?;
    r.print(&m, || detail_text(&m))
}

fn detail_text(m: &Message) -> String {
    let head = fields(&[
        ("message id", m.message_id.clone()),
        ("topic", m.topic_name.clone()),
        ("type", opt(&m.message_type)),
        ("tag", opt(&m.message_tag)),
        ("keys", m.message_keys.join(",")),
        ("message group", opt(&m.message_group)),
        (
            "born",
            format!("{} {}", opt(&m.born_time), opt(&m.born_host)),
        ),
        ("stored", opt(&m.store_time)),
        ("delivery time", opt(&m.delivery_time)),
        ("body size", m.body_size.to_string()),
        ("body", opt(&m.body)),
    ]);
    let mut props = Table::new(&["PROPERTY", "VALUE"]);
    for (k, v) in m.user_properties.iter().chain(&m.system_properties) {
        props.row(vec![k.clone(), v.clone()]);
    }
    let mut states = Table::new(&["GROUP", "STATE", "ATTEMPT", "INVISIBLE UNTIL"]);
    for s in &m.delivery_states {
        states.row(vec![
            s.consumer_group_id.clone(),
            s.state.clone(),
            s.delivery_attempt
                .map(|a| a.to_string())
                .unwrap_or_default(),
            opt(&s.invisible_until),
        ]);
    }
    format!("{head}\n\n{}\n\n{}", props.render(), states.render())
}
