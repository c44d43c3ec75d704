//! Lanes for blocking work, so that one kind of work cannot take the
//! threads another needs. Password hashing ([`hashing`]) and other
//! CPU-heavy work — PDFs, key generation — ([`compute`]) each run on a few
//! threads of their own: however many uploads, downloads or file reads
//! fill tokio's blocking pool, a sign-in and a PDF still find a thread.
//! Uploads' disk writes ([`files`]) run on tokio's blocking pool, a bounded
//! number at once. Every lane counts what it runs and what waits, for
//! `/metrics` and `/readyz`.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

/// Work that could not be run to its end.
#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    /// The work panicked (a bug; its lane goes on).
    #[error("work on the {0} lane panicked")]
    Panicked(&'static str),
    /// The lane's threads are gone (the process is stopping).
    #[error("the {0} lane is closed")]
    Closed(&'static str),
}

type Job = Box<dyn FnOnce() + Send>;

/// Where a lane's work runs.
enum Threads {
    /// Threads of the lane's own, fed through a queue.
    Own(Mutex<mpsc::Sender<Job>>),
    /// Tokio's blocking pool, at most this many at once.
    Pool(tokio::sync::Semaphore),
}

/// A lane: a name, its capacity, and counts of what runs and what waits.
pub struct Lane {
    name: &'static str,
    capacity: usize,
    threads: Threads,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    busy: AtomicUsize,
    queued: AtomicUsize,
}

/// What a lane is doing, for gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// The lane's name (`hashing`, `compute`, `files`).
    pub name: &'static str,
    /// How much may run at once.
    pub capacity: usize,
    /// How much runs now.
    pub busy: usize,
    /// How much waits for a place.
    pub queued: usize,
}

impl Load {
    /// Every place taken and more waiting.
    pub fn saturated(&self) -> bool {
        self.busy >= self.capacity && self.queued > 0
    }
}

/// Counts a job as waiting until it starts, then as busy until it ends,
/// on every way out (a panic included).
struct Waiting(Arc<Counts>);

impl Waiting {
    fn new(counts: &Arc<Counts>) -> Self {
        counts.queued.fetch_add(1, Ordering::Relaxed);
        Self(counts.clone())
    }

    fn start(self) -> Busy {
        self.0.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.0.clone())
        // `self` drops here and takes the job off the queue count.
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Busy(Arc<Counts>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Lane {
    /// A lane of `n` threads of its own.
    fn own(name: &'static str, n: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tongban-{name}-{i}"))
                .spawn(move || {
                    loop {
                        // Only the thread about to take a job holds the
                        // lock; a job never runs under it.
                        let next = match rx.lock() {
                            Ok(q) => q.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(lane = name, error = %e, "cannot start a lane thread");
            }
        }
        Self {
            name,
            capacity: n,
            threads: Threads::Own(Mutex::new(tx)),
            counts: Arc::default(),
        }
    }

    /// A lane on tokio's blocking pool, `n` at once.
    fn pool(name: &'static str, n: usize) -> Self {
        Self {
            name,
            capacity: n,
            threads: Threads::Pool(tokio::sync::Semaphore::new(n)),
            counts: Arc::default(),
        }
    }

    /// Runs `f` on the lane and waits for its result without holding an
    /// async thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, LaneError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let waiting = Waiting::new(&self.counts);
        let name = self.name;
        match &self.threads {
            Threads::Own(queue) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let job: Job = Box::new(move || {
                    let _busy = waiting.start();
                    let out = std::panic::catch_unwind(AssertUnwindSafe(f));
                    // The caller may have gone; its result goes with it.
                    let _ = tx.send(out);
                });
                let sent = match queue.lock() {
                    Ok(q) => q.send(job),
                    Err(poisoned) => poisoned.into_inner().send(job),
                };
                sent.map_err(|_| LaneError::Closed(name))?;
                match rx.await {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(_)) => Err(LaneError::Panicked(name)),
                    Err(_) => Err(LaneError::Closed(name)),
                }
            }
            Threads::Pool(places) => {
                let _place = places
                    .acquire()
                    .await
                    .map_err(|_| LaneError::Closed(name))?;
                let busy = waiting.start();
                let out = tokio::task::spawn_blocking(move || {
                    let _busy = busy;
                    f()
                })
                .await;
                out.map_err(|_| LaneError::Panicked(name))
            }
        }
    }

    /// What the lane is doing now.
    pub fn load(&self) -> Load {
        Load {
            name: self.name,
            capacity: self.capacity,
            busy: self.counts.busy.load(Ordering::Relaxed),
            queued: self.counts.queued.load(Ordering::Relaxed),
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Password hashing (Argon2): half the cores, at least one. A hash holds
/// 32 MiB and a core for about 50 ms; a burst of sign-ins waits its turn
/// here instead of taking every core from pages and PDFs.
pub fn hashing() -> &'static Lane {
    static LANE: OnceLock<Lane> = OnceLock::new();
    LANE.get_or_init(|| Lane::own("hashing", (cores() / 2).max(1)))
}

/// Other CPU-heavy work: PDFs (guides, receipts, official documents) and
/// signing keys. As many threads as cores, at least two.
pub fn compute() -> &'static Lane {
    static LANE: OnceLock<Lane> = OnceLock::new();
    LANE.get_or_init(|| Lane::own("compute", cores().max(2)))
}

/// Disk writes of uploads, on tokio's blocking pool: each a short write of
/// data that has arrived (an upload waiting on the network holds no
/// thread), 64 at once, so that they leave the pool's other 450 threads
/// to file reads and the rest.
pub fn files() -> &'static Lane {
    static LANE: OnceLock<Lane> = OnceLock::new();
    LANE.get_or_init(|| Lane::pool("files", 64))
}

/// Every lane's load, for gauges.
pub fn loads() -> [Load; 3] {
    [hashing().load(), compute().load(), files().load()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_its_lane_and_is_counted_while_it_runs() {
        let lane = Lane::own("test", 1);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let lane: &'static Lane = Box::leak(Box::new(lane));
        let first = tokio::spawn(lane.run(move || {
            let _ = started_tx.send(std::thread::current().name().map(str::to_owned));
            let _ = go_rx.recv();
            1
        }));
        let second = tokio::spawn(lane.run(|| 2));
        let name = tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(name.as_deref(), Some("tongban-test-0"));
        // One runs, one waits for the lane's only thread.
        let mut load = lane.load();
        for _ in 0..100 {
            if load.queued == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            load = lane.load();
        }
        assert_eq!((load.busy, load.queued, load.capacity), (1, 1, 1));
        assert!(load.saturated());
        go_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(second.await.unwrap().unwrap(), 2);
        let load = lane.load();
        assert_eq!((load.busy, load.queued), (0, 0));
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_the_lane_goes_on() {
        let lane: &'static Lane = Box::leak(Box::new(Lane::own("panics", 1)));
        let out = lane.run(|| -> u8 { panic!("a bug") }).await;
        assert!(matches!(out, Err(LaneError::Panicked("panics"))));
        assert_eq!(lane.run(|| 7).await.unwrap(), 7);
        let pool: &'static Lane = Box::leak(Box::new(Lane::pool("pool", 2)));
        assert!(matches!(
            pool.run(|| -> u8 { panic!("a bug") }).await,
            Err(LaneError::Panicked("pool"))
        ));
        assert_eq!(pool.run(|| 8).await.unwrap(), 8);
        assert_eq!(pool.load().busy, 0);
    }
}
