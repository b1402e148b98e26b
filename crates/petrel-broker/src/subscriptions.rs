//! Which consumer groups subscribe to which topics, as their clients report it: the topics and
//! filter expressions of a consumer's settings (Telemetry), refreshed by its heartbeats and
//! receives, and forgotten client by client when it terminates. This is what the management
//! API's subscription operations and the console's "online clients" show.
//!
//! A subscription is ONLINE while at least one client of the group that lists the topic has
//! been heard from within [`ONLINE_WINDOW`] (the SDKs heartbeat every 10 s), OFFLINE after; an
//! offline subscription is listed until it is deleted, so an operator sees what a group
//! consumed even when nobody is connected. It is *consistent* when every online client uses
//! the same filter expression for the topic.
//!
//! The registry lives in memory: after a restart it fills again as clients reconnect (they
//! send their settings on connecting). Accounts never see each other's entries: every key
//! starts with the account id.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A client unheard of for this long no longer makes its subscriptions ONLINE.
pub const ONLINE_WINDOW: Duration = Duration::from_secs(60);
/// A client unheard of for this long is forgotten (its topics stay as offline subscriptions).
const FORGET_CLIENT: Duration = Duration::from_secs(3600);

/// How a client filters a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSpec {
    /// `TAG` or `SQL`.
    pub kind: String,
    /// The expression (`*` for every message).
    pub expression: String,
}

/// A client as it connects: id, address and SDK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfo {
    /// `x-mq-client-id`.
    pub client_id: String,
    /// The address it connects from.
    pub host: String,
    /// SDK language, when it said.
    pub language: String,
    /// SDK version, when it said.
    pub version: String,
}

#[derive(Debug)]
struct Client {
    info: ClientInfo,
    topics: BTreeMap<String, FilterSpec>,
    last_seen: Instant,
}

#[derive(Debug, Default)]
struct Group {
    clients: HashMap<String, Client>,
    /// Every topic a client ever listed, with the filter last seen (offline subscriptions).
    known: BTreeMap<String, FilterSpec>,
}

/// (account, instance, group).
type GroupKey = (String, String, String);

/// One client of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribedClient {
    /// Who.
    pub info: ClientInfo,
    /// Its filter for the topic.
    pub filter: FilterSpec,
    /// Heard from within [`ONLINE_WINDOW`].
    pub online: bool,
}

/// A group's subscription to a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Consumer group id.
    pub group: String,
    /// Topic name.
    pub topic: String,
    /// The filter of the online clients (the first one's if they disagree), else the last seen.
    pub filter: FilterSpec,
    /// At least one client is online.
    pub online: bool,
    /// All online clients use the same filter (trivially true with none or one).
    pub consistent: bool,
    /// The clients that list the topic, online first.
    pub clients: Vec<SubscribedClient>,
}

/// Why a subscription cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The group does not subscribe to the topic.
    #[error("consumer group `{group}` has no subscription to topic `{topic}`")]
    NotFound { group: String, topic: String },
    /// Clients still consume it.
    #[error(
        "consumer group `{group}` still has {clients} online client(s) subscribed to topic `{topic}`; stop them first"
    )]
    Online {
        group: String,
        topic: String,
        clients: usize,
    },
}

/// Every account's subscriptions.
#[derive(Debug, Default)]
pub struct Subscriptions {
    groups: Mutex<HashMap<GroupKey, Group>>,
}

fn key(account: &str, instance: &str, group: &str) -> GroupKey {
    (account.to_owned(), instance.to_owned(), group.to_owned())
}

impl Subscriptions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupKey, Group>> {
        // The table holds only reports of clients, which stay valid after a panic elsewhere.
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a client's settings: it consumes as `group` exactly `topics`.
    pub fn report(
        &self,
        account: &str,
        instance: &str,
        group: &str,
        info: ClientInfo,
        topics: Vec<(String, FilterSpec)>,
    ) {
        if info.client_id.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut map = self.lock();
        let g = map.entry(key(account, instance, group)).or_default();
        g.clients
            .retain(|_, c| now.duration_since(c.last_seen) < FORGET_CLIENT);
        for (topic, filter) in &topics {
            g.known.insert(topic.clone(), filter.clone());
        }
        g.clients.insert(
            info.client_id.clone(),
            Client {
                info,
                topics: topics.into_iter().collect(),
                last_seen: now,
            },
        );
    }

    /// Records a receive: the client consumes `topic` as `group` with `filter`.
    pub fn received(
        &self,
        account: &str,
        instance: &str,
        group: &str,
        info: ClientInfo,
        topic: &str,
        filter: FilterSpec,
    ) {
        if info.client_id.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut map = self.lock();
        let g = map.entry(key(account, instance, group)).or_default();
        g.known.insert(topic.to_owned(), filter.clone());
        let c = g
            .clients
            .entry(info.client_id.clone())
            .or_insert_with(|| Client {
                info,
                topics: BTreeMap::new(),
                last_seen: now,
            });
        c.last_seen = now;
        c.topics.insert(topic.to_owned(), filter);
    }

    /// A heartbeat of the client: it is still there, in every group it reported.
    pub fn heartbeat(&self, account: &str, client_id: &str) {
        let now = Instant::now();
        for ((acc, _, _), g) in self.lock().iter_mut() {
            if acc == account
                && let Some(c) = g.clients.get_mut(client_id)
            {
                c.last_seen = now;
            }
        }
    }

    /// The client terminated: it no longer keeps any subscription online.
    pub fn client_gone(&self, account: &str, client_id: &str) {
        for ((acc, _, _), g) in self.lock().iter_mut() {
            if acc == account {
                g.clients.remove(client_id);
            }
        }
    }

    fn view(group: &str, g: &Group, topic: &str, now: Instant) -> Option<Subscription> {
        let known = g.known.get(topic)?;
        let mut clients: Vec<SubscribedClient> = g
            .clients
            .values()
            .filter_map(|c| {
                c.topics.get(topic).map(|f| SubscribedClient {
                    info: c.info.clone(),
                    filter: f.clone(),
                    online: now.duration_since(c.last_seen) < ONLINE_WINDOW,
                })
            })
            .collect();
        clients.sort_by(|a, b| {
            b.online
                .cmp(&a.online)
                .then_with(|| a.info.client_id.cmp(&b.info.client_id))
        });
        let online: Vec<&SubscribedClient> = clients.iter().filter(|c| c.online).collect();
        let filter = online
            .first()
            .map_or_else(|| known.clone(), |c| c.filter.clone());
        let consistent = online.iter().all(|c| c.filter == filter);
        Some(Subscription {
            group: group.to_owned(),
            topic: topic.to_owned(),
            filter,
            online: !online.is_empty(),
            consistent,
            clients,
        })
    }

    /// The subscriptions of `group`, by topic.
    pub fn of_group(&self, account: &str, instance: &str, group: &str) -> Vec<Subscription> {
        let now = Instant::now();
        let map = self.lock();
        let Some(g) = map.get(&key(account, instance, group)) else {
            return Vec::new();
        };
        g.known
            .keys()
            .filter_map(|t| Self::view(group, g, t, now))
            .collect()
    }

    /// The subscriptions to `topic` of `instance`, by group.
    pub fn of_topic(&self, account: &str, instance: &str, topic: &str) -> Vec<Subscription> {
        let now = Instant::now();
        let map = self.lock();
        let mut out: Vec<Subscription> = map
            .iter()
            .filter(|((acc, inst, _), _)| acc == account && inst == instance)
            .filter_map(|((_, _, group), g)| Self::view(group, g, topic, now))
            .collect();
        out.sort_by(|a, b| a.group.cmp(&b.group));
        out
    }

    /// Deletes an offline subscription of `group` to `topic`.
    pub fn delete(
        &self,
        account: &str,
        instance: &str,
        group: &str,
        topic: &str,
    ) -> Result<(), SubscriptionError> {
        let now = Instant::now();
        let mut map = self.lock();
        let not_found = || SubscriptionError::NotFound {
            group: group.to_owned(),
            topic: topic.to_owned(),
        };
        let g = map
            .get_mut(&key(account, instance, group))
            .ok_or_else(not_found)?;
        let view = Self::view(group, g, topic, now).ok_or_else(not_found)?;
        let online = view.clients.iter().filter(|c| c.online).count();
        if online > 0 {
            return Err(SubscriptionError::Online {
                group: group.to_owned(),
                topic: topic.to_owned(),
                clients: online,
            });
        }
        g.known.remove(topic);
        for c in g.clients.values_mut() {
            c.topics.remove(topic);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(e: &str) -> FilterSpec {
        FilterSpec {
            kind: "TAG".into(),
            expression: e.into(),
        }
    }

    fn client(id: &str) -> ClientInfo {
        ClientInfo {
            client_id: id.into(),
            ..ClientInfo::default()
        }
    }

    #[tokio::test]
    async fn a_reported_subscription_is_online_until_its_client_leaves() {
        let s = Subscriptions::default();
        s.report("a", "i", "g", client("c1"), vec![("t".into(), tag("x"))]);
        let subs = s.of_group("a", "i", "g");
        assert_eq!(subs.len(), 1);
        assert!(subs[0].online && subs[0].consistent);
        assert_eq!(subs[0].filter, tag("x"));
        assert_eq!(s.of_topic("a", "i", "t")[0].group, "g");
        assert!(matches!(
            s.delete("a", "i", "g", "t"),
            Err(SubscriptionError::Online { clients: 1, .. })
        ));
        s.client_gone("a", "c1");
        let subs = s.of_group("a", "i", "g");
        assert!(!subs[0].online, "listed as offline after the client left");
        s.delete("a", "i", "g", "t").unwrap();
        assert!(s.of_group("a", "i", "g").is_empty());
        assert!(matches!(
            s.delete("a", "i", "g", "t"),
            Err(SubscriptionError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn clients_that_disagree_make_the_subscription_inconsistent() {
        let s = Subscriptions::default();
        s.report("a", "i", "g", client("c1"), vec![("t".into(), tag("x"))]);
        s.received("a", "i", "g", client("c2"), "t", tag("y"));
        let sub = &s.of_group("a", "i", "g")[0];
        assert!(!sub.consistent);
        assert_eq!(sub.clients.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_no_longer_keeps_it_online() {
        let s = Subscriptions::default();
        s.report("a", "i", "g", client("c1"), vec![("t".into(), tag("*"))]);
        tokio::time::advance(ONLINE_WINDOW + Duration::from_secs(1)).await;
        assert!(!s.of_group("a", "i", "g")[0].online);
        s.heartbeat("a", "c1");
        assert!(s.of_group("a", "i", "g")[0].online);
    }

    #[tokio::test]
    async fn accounts_and_instances_do_not_see_each_other() {
        let s = Subscriptions::default();
        s.report("a", "i", "g", client("c1"), vec![("t".into(), tag("*"))]);
        assert!(s.of_group("b", "i", "g").is_empty());
        assert!(s.of_topic("b", "i", "t").is_empty());
        assert!(s.of_topic("a", "j", "t").is_empty());
        s.client_gone("b", "c1");
        assert!(s.of_group("a", "i", "g")[0].online);
    }
}
