//! A hand-rolled oneshot used to hand a group commit's outcome to its appenders: a blocking
//! appender parks its thread, an async one registers a `Waker`. No runtime dependency.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::Thread;

use crate::error::StoreError;
use crate::message::Appended;

enum Waiter {
    Thread(Thread),
    Task(Waker),
}

#[derive(Default)]
struct Slot {
    result: Option<Result<(), StoreError>>,
    waiter: Option<Waiter>,
}

/// Outcome slot of one append call.
#[derive(Default)]
pub(crate) struct Completion {
    slot: Mutex<Slot>,
}

impl Completion {
    pub fn new() -> Arc<Completion> {
        Arc::new(Completion::default())
    }

    pub fn done(result: Result<(), StoreError>) -> Arc<Completion> {
        let c = Completion::new();
        c.complete(result);
        c
    }

    pub fn complete(&self, result: Result<(), StoreError>) {
        let waiter = {
            let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if s.result.is_some() {
                return;
            }
            s.result = Some(result);
            s.waiter.take()
        };
        match waiter {
            Some(Waiter::Thread(t)) => t.unpark(),
            Some(Waiter::Task(w)) => w.wake(),
            None => {}
        }
    }

    /// Blocks the calling thread until completed.
    pub fn wait(&self) -> Result<(), StoreError> {
        loop {
            {
                let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(r) = s.result.take() {
                    return r;
                }
                s.waiter = Some(Waiter::Thread(std::thread::current()));
            }
            // Spurious unparks are fine: the loop re-checks the slot.
            std::thread::park();
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<(), StoreError>> {
        let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = s.result.take() {
            return Poll::Ready(r);
        }
        match &s.waiter {
            Some(Waiter::Task(w)) if w.will_wake(cx.waker()) => {}
            _ => s.waiter = Some(Waiter::Task(cx.waker().clone())),
        }
        Poll::Pending
    }
}

/// Future returned by [`crate::Store::submit`]: resolves when the batch is durable (per the
/// flush mode) or has failed. Dropping it does not cancel the append.
#[must_use = "the append is not known to be durable until the future resolves"]
pub struct AppendFuture {
    state: FutureState,
}

enum FutureState {
    Failed(Option<StoreError>),
    Waiting {
        completion: Arc<Completion>,
        appended: Option<Vec<Appended>>,
    },
}

impl AppendFuture {
    pub(crate) fn failed(err: StoreError) -> AppendFuture {
        AppendFuture {
            state: FutureState::Failed(Some(err)),
        }
    }

    pub(crate) fn waiting(completion: Arc<Completion>, appended: Vec<Appended>) -> AppendFuture {
        AppendFuture {
            state: FutureState::Waiting {
                completion,
                appended: Some(appended),
            },
        }
    }
}

impl Future for AppendFuture {
    type Output = Result<Vec<Appended>, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            FutureState::Failed(err) => Poll::Ready(Err(err.take().unwrap_or(StoreError::Closed))),
            FutureState::Waiting {
                completion,
                appended,
            } => match completion.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(())) => Poll::Ready(Ok(appended.take().unwrap_or_default())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            },
        }
    }
}
