//! How many uploads are in flight, and for how long one may send nothing.
//! An upload waiting on the network holds no thread (see
//! `files::receive`), but it holds a connection, a buffer and a temporary
//! file: the [`Gate`] lets in a bounded number per account and per node,
//! and a [`Watched`] body ends an upload that has sent nothing for the
//! idle time. What ended an upload — idle, or broken off by the client —
//! is kept on its [`Slot`], so the caller answers it as the client's doing
//! rather than as a failure of the server.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;

/// The bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Uploads one key (an account, or an address) may have in flight.
    pub per_key: usize,
    /// Uploads in flight on this node.
    pub in_flight: usize,
    /// How long an upload may send nothing.
    pub idle: Duration,
}

/// Why an upload was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    /// The key has its uploads in flight already.
    #[error("this account has {0} uploads in flight")]
    Key(usize),
    /// The node has its uploads in flight already.
    #[error("this node has {0} uploads in flight")]
    Node(usize),
}

/// How an upload's body ended before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Nothing arrived for the idle time.
    Idle,
    /// The connection broke, or the client stopped sending.
    Broken,
}

const RUNNING: u8 = 0;
const IDLE: u8 = 1;
const BROKEN: u8 = 2;

#[derive(Default)]
struct Counts {
    total: usize,
    by_key: HashMap<String, usize>,
}

struct Inner {
    limits: Limits,
    counts: Mutex<Counts>,
    refused: AtomicU64,
}

impl Inner {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A count is never left half-changed, so a poisoned lock's counts
        // are still right.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The node's uploads in flight.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("limits", &self.inner.limits)
            .finish()
    }
}

impl Gate {
    /// A gate with these bounds.
    pub fn new(limits: Limits) -> Self {
        Self {
            inner: Arc::new(Inner {
                limits,
                counts: Mutex::default(),
                refused: AtomicU64::new(0),
            }),
        }
    }

    /// Lets an upload of `key` in, or says why not.
    pub fn admit(&self, key: &str) -> Result<Slot, Busy> {
        let limits = self.inner.limits;
        let mut c = self.inner.counts();
        let mine = c.by_key.get(key).copied().unwrap_or(0);
        let refusal = if c.total >= limits.in_flight {
            Some(Busy::Node(c.total))
        } else if mine >= limits.per_key {
            Some(Busy::Key(mine))
        } else {
            None
        };
        if let Some(busy) = refusal {
            drop(c);
            self.inner.refused.fetch_add(1, Ordering::Relaxed);
            return Err(busy);
        }
        c.total += 1;
        c.by_key.insert(key.to_owned(), mine + 1);
        Ok(Slot {
            gate: self.inner.clone(),
            key: key.to_owned(),
            ended: Arc::new(AtomicU8::new(RUNNING)),
        })
    }

    /// Uploads in flight now.
    pub fn in_flight(&self) -> usize {
        self.inner.counts().total
    }

    /// Uploads refused since start.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }

    /// The bounds.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Whether the node takes no more uploads now.
    pub fn saturated(&self) -> bool {
        self.in_flight() >= self.inner.limits.in_flight
    }
}

/// An upload let in: its place is given back when the slot is dropped.
pub struct Slot {
    gate: Arc<Inner>,
    key: String,
    ended: Arc<AtomicU8>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("ended", &self.ended())
            .finish()
    }
}

impl Slot {
    /// The upload's body, ended when it sends nothing for the idle time.
    pub fn watch<S>(&self, body: S) -> Watched<S> {
        Watched {
            body,
            idle: self.gate.limits.idle,
            timer: None,
            ended: self.ended.clone(),
            done: false,
        }
    }

    /// How long the body may send nothing.
    pub fn idle(&self) -> Duration {
        self.gate.limits.idle
    }

    /// How the body ended before its end, if it did.
    pub fn ended(&self) -> Option<Ended> {
        match self.ended.load(Ordering::Relaxed) {
            IDLE => Some(Ended::Idle),
            BROKEN => Some(Ended::Broken),
            _ => None,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.gate.counts();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_key.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_key.remove(&self.key);
            }
        }
    }
}

/// A body that ends with an error when nothing arrives for the idle time,
/// and records on its slot how it ended. The timer runs only while the
/// reader waits for data: a reader busy writing what arrived is not idle.
pub struct Watched<S> {
    body: S,
    idle: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    ended: Arc<AtomicU8>,
    done: bool,
}

impl<S, B, E> Stream for Watched<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    E: std::fmt::Display,
{
    type Item = Result<B, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.body).poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                this.timer = None;
                Poll::Ready(Some(Ok(piece)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                this.ended.store(BROKEN, Ordering::Relaxed);
                Poll::Ready(Some(Err(std::io::Error::other(format!(
                    "the upload broke off: {e}"
                )))))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.done = true;
                        this.ended.store(IDLE, Ordering::Relaxed);
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("the upload sent nothing for {} s", idle.as_secs()),
                        ))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn gate(per_key: usize, in_flight: usize) -> Gate {
        Gate::new(Limits {
            per_key,
            in_flight,
            idle: Duration::from_millis(50),
        })
    }

    #[test]
    fn uploads_are_let_in_per_key_and_per_node() {
        let g = gate(2, 3);
        let a1 = g.admit("a").unwrap();
        let _a2 = g.admit("a").unwrap();
        assert_eq!(g.admit("a").unwrap_err(), Busy::Key(2));
        let _b1 = g.admit("b").unwrap();
        assert!(g.saturated());
        assert_eq!(g.admit("c").unwrap_err(), Busy::Node(3));
        assert_eq!((g.in_flight(), g.refused()), (3, 2));
        drop(a1);
        assert!(!g.saturated());
        let _a3 = g.admit("a").unwrap();
    }

    #[tokio::test]
    async fn a_body_that_sends_nothing_for_the_idle_time_ends() {
        let g = gate(1, 1);
        let slot = g.admit("a").unwrap();
        // Two pieces, then silence.
        let pieces = futures::stream::iter([Ok::<_, std::io::Error>(vec![1u8]), Ok(vec![2])])
            .chain(futures::stream::pending());
        let mut body = slot.watch(Box::pin(pieces));
        assert_eq!(body.next().await.unwrap().unwrap(), vec![1]);
        assert_eq!(body.next().await.unwrap().unwrap(), vec![2]);
        let e = body.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(body.next().await.is_none());
        assert_eq!(slot.ended(), Some(Ended::Idle));
    }

    #[tokio::test]
    async fn a_body_that_breaks_is_the_clients_doing() {
        let g = gate(1, 1);
        let slot = g.admit("a").unwrap();
        let pieces = futures::stream::iter([Ok(vec![1u8]), Err("connection reset")]);
        let mut body = slot.watch(pieces);
        assert!(body.next().await.unwrap().is_ok());
        assert!(body.next().await.unwrap().is_err());
        assert_eq!(slot.ended(), Some(Ended::Broken));
        // A body read to its end ended as it should.
        let slot2 = gate(1, 1).admit("b").unwrap();
        let mut whole = slot2.watch(futures::stream::iter([Ok::<_, String>(vec![1u8])]));
        while whole.next().await.is_some() {}
        assert_eq!(slot2.ended(), None);
    }
}
