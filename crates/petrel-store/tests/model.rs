//! Property test: any interleaving of appends (various queues and batch sizes), reads, clean
//! restarts and crash-style restarts returns exactly what was acknowledged, in order per queue,
//! with offsets contiguous from the queue's min offset.

// Helpers outside #[test] fns are test code too; clippy.toml's test allowance does not see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{body_for, msg};
use petrel_store::{FlushMode, ReadStatus, Store, StoreConfig};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Append { queues: Vec<u32>, body: usize },
    Read { queue: u32, from: usize, max: usize },
    Restart { crash: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (prop::collection::vec(0u32..3, 1..5), 0usize..6000)
            .prop_map(|(queues, body)| Op::Append { queues, body }),
        3 => (0u32..3, 0usize..64, 1usize..8).prop_map(|(queue, from, max)| Op::Read { queue, from, max }),
        1 => any::<bool>().prop_map(|crash| Op::Restart { crash }),
    ]
}

fn config(flush: bool) -> StoreConfig {
    StoreConfig {
        segment_size: 64 << 10,
        max_message_bytes: 16 << 10,
        queue_index_entries_per_file: 16,
        key_index_slots: 16,
        key_index_entries: 64,
        flush_mode: if flush {
            FlushMode::Sync
        } else {
            FlushMode::Async
        },
        ..StoreConfig::for_tests()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn store_returns_exactly_what_was_acknowledged(ops in prop::collection::vec(op(), 1..40), sync in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(sync);
        let mut store = Some(Store::open(dir.path(), cfg.clone()).unwrap());
        let mut model: Vec<Vec<String>> = vec![Vec::new(); 3];
        let mut n = 0usize;
        for op in ops {
            let s = store.as_ref().unwrap();
            match op {
                Op::Append { queues, body } => {
                    let batch: Vec<_> = queues.iter().map(|&q| {
                        n += 1;
                        let id = format!("p{n}");
                        msg("model", q, &id, &body_for(&id, (body + n * 37) % 6000))
                    }).collect();
                    let acks = s.append(batch.clone()).unwrap();
                    for (m, a) in batch.iter().zip(acks) {
                        let q = m.queue_id as usize;
                        prop_assert_eq!(a.queue_offset, model[q].len() as u64);
                        model[q].push(m.msg_id.clone());
                    }
                }
                Op::Read { queue, from, max } => {
                    let want = &model[queue as usize];
                    let from = from.min(want.len());
                    let r = s.read("model", queue, from as u64, max, usize::MAX).unwrap();
                    let expect = &want[from..(from + max).min(want.len())];
                    if expect.is_empty() {
                        prop_assert_eq!(r.status, ReadStatus::NoNewMessages);
                    }
                    let got: Vec<_> = r.messages.iter().map(|m| m.msg_id.clone()).collect();
                    prop_assert_eq!(&got[..], expect);
                    for (i, m) in r.messages.iter().enumerate() {
                        prop_assert_eq!(m.queue_offset, (from + i) as u64);
                        prop_assert_eq!(&m.body[..], &body_for(&m.msg_id, m.body.len())[..]);
                    }
                }
                Op::Restart { crash } => {
                    let s = store.take().unwrap();
                    if crash { s.abandon() } else { s.close().unwrap() }
                    store = Some(Store::open(dir.path(), cfg.clone()).unwrap());
                }
            }
        }
        let s = store.take().unwrap();
        s.close().unwrap();
        let s = Store::open(dir.path(), cfg).unwrap();
        for (q, want) in model.iter().enumerate() {
            prop_assert_eq!(s.queue_offsets("model", q as u32), (0, want.len() as u64));
            let r = s.read("model", q as u32, 0, 10_000, usize::MAX).unwrap();
            let got: Vec<_> = r.messages.iter().map(|m| m.msg_id.clone()).collect();
            prop_assert_eq!(&got, want);
            for id in want.iter().step_by(7) {
                let m = s.get_by_id(id).unwrap();
                prop_assert!(m.is_some_and(|m| &m.msg_id == id));
            }
        }
    }
}
