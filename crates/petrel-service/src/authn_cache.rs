//! Verified-key cache of authentication: what an AccessKey id resolves to (owner, status, its
//! account, the unsealed secret), tagged with the catalogue generation read before it was looked
//! up, so that any committed catalogue change — a key disabled or deleted, an account disabled —
//! makes every entry stale at once. Spares the data plane a read transaction, a secret
//! unsealing and a hop to the blocking pool on every request.
//!
//! Only keys that exist are cached (unknown ids would let anyone grow the table); the table is
//! bounded and starts over when full. The secrets it holds are the ones every signature check
//! needs in memory anyway.

use std::collections::HashMap;
use std::sync::Mutex;

use petrel_meta::AccessKeyAuth;

/// Most cached keys; past it the cache starts over.
const LIMIT: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct AuthnCache {
    keys: Mutex<HashMap<String, (u64, AccessKeyAuth)>>,
}

impl AuthnCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, AccessKeyAuth)>> {
        // A poisoned table only holds complete entries.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The entry of `id` if it was read at `generation`.
    pub(crate) fn get(&self, id: &str, generation: u64) -> Option<AccessKeyAuth> {
        match self.lock().get(id) {
            Some((g, auth)) if *g == generation => Some(auth.clone()),
            _ => None,
        }
    }

    /// Remembers `auth`, read at `generation`.
    pub(crate) fn put(&self, id: &str, generation: u64, auth: AccessKeyAuth) {
        let mut map = self.lock();
        if map.len() >= LIMIT && !map.contains_key(id) {
            map.clear();
        }
        map.insert(id.to_owned(), (generation, auth));
    }
}
