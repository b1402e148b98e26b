//! `petrel-broker`: the messaging semantics of Petrel over its durable log, `petrel-store`.
//!
//! It knows nothing about gRPC, HTTP or IAM: the caller (petrel-service, behind a front end)
//! has already authenticated and authorized the request and hands over validated names. The
//! catalogue (topics, groups, their settings) also lives elsewhere; each call carries the
//! [`TopicSpec`] the broker needs.
//!
//! # Model
//! * **Namespaces.** Every topic and group belongs to `(account id, instance id)`
//!   ([`TopicRef`], [`GroupRef`]). A topic's messages live in store topic
//!   `"{account}/{instance}/{topic}"`, so equal names in two accounts or instances never share
//!   data, progress or handles.
//! * **Send** ([`Broker::send`]): a batch is validated (spec §12 limits and the topic's type),
//!   stored with one all-or-nothing `Store::submit` and acknowledged once durable per the
//!   store's flush mode. No runtime thread waits for the fsync. Queues are the client's choice
//!   when valid, else round-robin — except FIFO messages, whose queue is a stable hash of
//!   their message group ([`fifo_queue_for`]; the SDKs hash differently, spec §6.1).
//! * **Retried sends** are stored once: a send whose message id was already stored in the same
//!   topic returns the original receipt (`duplicate = true`). Ids are remembered in memory for
//!   [`BrokerConfig::dedup_window`]; during that long after open, unknown ids are also looked
//!   up in the store's id index, so a retry across a restart is caught too. A retry racing the
//!   original waits for it. Outside the window a resent id is stored again.
//! * **Receive** ([`Broker::receive`], POP semantics for simple and push consumers): within a
//!   group a message is delivered to one receiver at a time and stays invisible to the group
//!   for the requested duration; different groups each get every message. If it is neither
//!   acked nor its invisible time changed before the deadline, it is delivered again with
//!   `delivery_attempt + 1` and a new receipt handle (the old one becomes invalid). **A group
//!   that never received from a topic starts at the earliest retained offset** (RocketMQ 5
//!   starts new POP groups at the latest offset; Petrel users expect messages sent before the
//!   consumer first connected). Long polling waits up to the request's timeout and answers as
//!   soon as a matching message arrives or a delivery expires.
//! * **Retries and dead letters** (`retry`, `dlq`): each receive carries the group's
//!   [`RetryPolicy`]. An unsettled delivery comes back after its invisible time plus the
//!   policy's backoff for that attempt; once its last attempt failed the message moves to the
//!   group's dead-letter queue instead. Consumers may also forward a delivery there
//!   ([`Broker::forward_to_dead_letter_queue`]). Dead letters can be listed, inspected and
//!   re-sent to their group ([`Broker::dead_letters`], [`Broker::dead_letter`],
//!   [`Broker::resend_dead_letter`]).
//! * **FIFO** (`fifo`): a receive with `orderly` (an Orderly group on a FIFO topic) delivers
//!   each message group's messages one at a time in send order, the next once the previous
//!   is acked or dead-lettered; message groups do not hold each other up.
//! * **Delay** (`timer`): a DELAY message whose time is ahead waits in a durable timer and
//!   enters its topic when due (never earlier; measured lateness in `tests/delay.rs`). Times
//!   further ahead than [`BrokerConfig::max_delivery_delay`] (1 day) are refused with
//!   `ILLEGAL_DELIVERY_TIME`.
//! * **Transactions** (`txn`): a TRANSACTION send stores a half message and returns a
//!   transaction id; [`Broker::end_transaction`] commits (delivers) or rolls back. Unresolved
//!   ones are published as [`TransactionCheck`]s ([`Broker::transaction_checks`]) and rolled
//!   back after [`BrokerConfig::transaction_max_checks`] checks.
//! * **Settle**: [`Broker::ack`] / [`Broker::ack_many`] and
//!   [`Broker::change_invisible_duration`] (which returns a new handle). Receipt handles are
//!   random 128-bit tokens bound to (account, instance, group, topic, queue, offset,
//!   delivery); see the `receipt` module.
//! * **Filters**: tag expressions and SQL92 expressions on user properties ([`Filter`]);
//!   messages a group's filter rejects count as consumed by that group.
//! * **Subscriptions** ([`Broker::subscriptions`]): which groups consume which topics with
//!   which filters, as their clients report it (in memory; see the `subscriptions` module).
//! * **Lag**: [`Broker::group_topic_stats`] (ready, in flight, oldest unfinished message's
//!   store time — unknown is `None`, never zero).
//! * **Query** (`query`): a topic's messages by id, by key (bounded, newest first) or by
//!   store-time range (paged), each with the [`DeliveryState`] of the groups asked about
//!   ([`Broker::message_by_id`], [`Broker::messages_by_key`], [`Broker::messages_by_time`]).
//! * **Offset reset** (`offsets`): [`Broker::reset_offset`] to the latest offset or a time;
//!   a durable progress record like any other.
//!
//! # Consumer progress: persistence and guarantees
//! Per (group, topic, queue) the broker keeps the consume offset (first offset not finished),
//! the delivery frontier, the finished offsets above the consume offset and the in-flight
//! deliveries (token, attempt, wall-clock deadline). Every change is written as a record to the
//! internal store topic `%sys%consumer-progress` (queue 0), sharing the log's group commit;
//! snapshots of the whole progress go to its queue 1 at least every
//! [`BrokerConfig::snapshot_every_records`] records, every
//! [`BrokerConfig::snapshot_interval`] while progress changes, every
//! [`BrokerConfig::snapshot_max_age`] regardless, and at [`Broker::close`]. [`Broker::open`]
//! loads the latest snapshot and replays the records after it (see the `progress::journal`
//! module for why snapshots need no global pause).
//!
//! Guarantees, with the store in `FlushMode::Sync` (the default):
//! * Once `ack` returns `Ok`, the message is never delivered to that group again, across
//!   restarts and crashes (the record is fsynced before the ack returns).
//! * Once `receive` returns a delivery, its lease is durable: after a crash the message stays
//!   invisible until its deadline, then is delivered again with the next attempt number, and
//!   its receipt handle still works until then. The same holds for a handle returned by
//!   `change_invisible_duration`.
//! * Every message stored is eventually delivered to every group until acked or dead-lettered
//!   (at least once), unless store retention removes it first.
//! * Moves the broker makes itself — a dead letter, a released delay message, a committed
//!   transaction — are stored in one batch with the progress record that finishes their
//!   source, so a crash neither loses nor duplicates them (`tests/kill_semantics.rs`).
//! * An acknowledged delay message is delivered once its time has come, also if the broker
//!   was down then (right after it opens); an acknowledged commit is delivered; a transaction
//!   is never both committed and rolled back.
//! * If an operation's record fails to be written (disk full, I/O error) the operation fails;
//!   the in-memory change it made stays, and is undone by the next restart (so at worst a
//!   message is delivered again).
//!
//! With `FlushMode::Async` the same hold for a process crash, but a power loss can forget up to
//! one flush interval of progress (messages may then be delivered again). Retention must keep
//! the last `snapshot_max_age` of the log; if it removes progress records no snapshot covers,
//! open logs a warning and the affected groups may see messages again.
//!
//! # Operating notes
//! * One broker per store: two brokers over one store would both write progress records.
//! * Invisible deadlines are wall-clock times evaluated lazily (an expired delivery is simply
//!   ready again; long-polling receivers sleep until their group's earliest deadline), so no
//!   sweeper is needed; dead-lettering also happens when a receive finds the message ready.
//!   Background tasks write snapshots and prune the dedup table, release delay messages, and
//!   run transaction checks.
//! * Snapshot chunks are up to 192 KiB: the store's `max_message_bytes` must be at least
//!   256 KiB (it is 1 MiB in `StoreConfig::for_tests` and 4 MiB by default).
//! * Progress records are store messages with an empty id; they cost an id-index entry each.
//! * Receives and acks read the store and submit records while holding their group's progress
//!   lock (a `std` mutex; short reads, never an fsync wait). Sends never wait for the fsync on
//!   a runtime thread.
//!
//! # Not yet
//! Server-side `auto_renew` of invisible time, idempotent receive retries (`attempt_id`),
//! a group's dead-letter target topic, and forgetting the progress of
//! deleted groups. Message query sees delay messages only once due and transaction messages
//! only once committed. Delay messages pending in the timer and open transactions are held in
//! memory (an ordered set entry each). Changing a FIFO topic's queue count moves message groups
//! to other queues (order across the change is not guaranteed).

mod broker;
mod config;
mod dedup;
mod dlq;
mod error;
mod fifo;
mod filter;
mod message;
mod metrics;
mod names;
mod offsets;
mod progress;
mod query;
mod receipt;
mod receive;
mod retry;
mod send;
mod settle;
mod subscriptions;
mod timer;
mod txn;
mod validate;

pub use broker::{Broker, GroupTopicStats, QueueStats};
pub use config::BrokerConfig;
pub use dlq::{DeadLetter, DeadLetterPage, DeadLetterReason};
pub use error::{BrokerError, code};
pub use fifo::queue_for as fifo_queue_for;
pub use filter::{Filter, SqlFilter};
pub use message::{
    Delivered, InvisibleChanged, MessageView, OutgoingMessage, SYSTEM_PROPERTY_PREFIX, SendReceipt,
};
pub use names::{GroupRef, MAX_QUEUES, TopicRef, TopicSpec};
pub use offsets::{QueueReset, ResetTarget};
pub use petrel_model::MessageType;
pub use petrel_store::TimeCursor;
/// The store a broker runs over (re-exported so embedders need not name `petrel-store`).
pub use petrel_store::{Store, StoreConfig};
pub use query::{DeliveryState, GroupDelivery, MAX_QUERY_MESSAGES, MessagePage, QueriedMessage};
pub use receive::ReceiveRequest;
pub use retry::{Backoff, DEFAULT_BACKOFF_TABLE_SECS, DEFAULT_MAX_ATTEMPTS, RetryPolicy};
pub use subscriptions::{
    ClientInfo, FilterSpec, ONLINE_WINDOW, SubscribedClient, Subscription, SubscriptionError,
    Subscriptions,
};
pub use txn::{TransactionCheck, TransactionResolution};

// Compile-time check that the handle is shareable and its futures can run on tonic's
// multi-threaded runtime.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<Broker>();
    let _ = |b: &Broker, g: &GroupRef, t: &TopicRef, r: &ReceiveRequest| {
        assert_send(&b.send(t, Vec::new()));
        assert_send(&b.receive(g, t, r));
        assert_send(&b.ack(g, t, ""));
        assert_send(&b.change_invisible_duration(g, t, "", std::time::Duration::ZERO));
        assert_send(&b.close());
    };
};
