//! The load engine: virtual clients run weighted operations back to back
//! (a closed loop, no think time) for a bounded time, and every HTTP
//! request is timed under the name of the step it belongs to.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::ops::Shared;

/// What an operation returns: `Err` carries a short reason that the report
/// shows once per operation.
pub type OpResult = Result<(), String>;

/// One operation of the mix: a small async function of a client.
pub type OpFn = for<'a> fn(&'a mut Client, &'a Shared) -> BoxFuture<'a, OpResult>;

/// An operation with its share of the mix.
#[derive(Clone, Copy)]
pub struct Op {
    /// Name in the report.
    pub name: &'static str,
    /// Relative weight (per mille of operations, by convention).
    pub weight: u32,
    /// The operation.
    pub run: OpFn,
}

/// One virtual client: its own connection, its place in the round-robin
/// over the nodes, its random numbers and what it measured.
pub struct Client {
    /// Index of the client (0-based); operations use it to pick their own
    /// draft or session so that clients do not trip over each other.
    pub id: usize,
    /// HTTP client without cookie store or redirects: operations set the
    /// session cookie they mean to use and read redirects themselves.
    pub http: reqwest::Client,
    /// Random numbers of this client.
    pub rng: StdRng,
    bases: Arc<Vec<String>>,
    next_base: usize,
    record_from: Instant,
    stats: BTreeMap<&'static str, Vec<u32>>,
    scheduled: Option<Instant>,
}

impl Client {
    /// The URL of `path` on the next node (round-robin).
    pub fn url(&mut self, path: &str) -> String {
        let base = &self.bases[self.next_base % self.bases.len()];
        self.next_base = self.next_base.wrapping_add(1);
        format!("{base}{path}")
    }

    /// Sends a request, timing it under `step`; a transport failure is an
    /// error of the operation. The status is for the operation to judge.
    pub async fn send(
        &mut self,
        step: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, String> {
        // A paced client's first request is timed from when it was due.
        let start = self.scheduled.take().unwrap_or_else(Instant::now);
        let res = req.send().await;
        let res = match res {
            Ok(r) => r,
            Err(e) => return Err(format!("{step}: {e}")),
        };
        if start >= self.record_from {
            let micros = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
            self.stats.entry(step).or_default().push(micros);
        }
        Ok(res)
    }

    /// Sends, reads the body, and checks the status is `want`.
    pub async fn expect(
        &mut self,
        step: &'static str,
        req: reqwest::RequestBuilder,
        want: u16,
    ) -> Result<reqwest::Response, String> {
        let res = self.send(step, req).await?;
        if res.status().as_u16() == want {
            Ok(res)
        } else {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            Err(format!(
                "{step}: HTTP {status} (want {want}): {}",
                body.chars().take(160).collect::<String>()
            ))
        }
    }

    /// A number in `0..n`, uniformly.
    pub fn pick(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// A number in `0..n` with probability falling as 1/(rank) (Zipf's law
    /// with s = 1, drawn from its continuous form): 0 is the most popular.
    pub fn pick_popular(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let u: f64 = self.rng.random();
        let x = ((n as f64) + 1.0).powf(u) - 1.0;
        (x as usize).min(n - 1)
    }
}

/// Latencies of one step, in microseconds, sorted.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    /// Number of requests.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The `q`-quantile (0..=1), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let rank = ((self.0.len() as f64) * q).ceil() as usize;
        let i = rank.clamp(1, self.0.len()) - 1;
        f64::from(self.0[i]) / 1000.0
    }

    fn merge(&mut self, mut other: Vec<u32>) {
        self.0.append(&mut other);
    }

    fn sort(&mut self) {
        self.0.sort_unstable();
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// Measured time (after the warm-up).
    pub seconds: f64,
    /// Latencies per request step.
    pub steps: BTreeMap<&'static str, Latencies>,
    /// Completed operations per operation name.
    pub ops: BTreeMap<&'static str, u64>,
    /// Failed operations per name, with the first reason seen.
    pub errors: BTreeMap<&'static str, (u64, String)>,
}

impl RunResult {
    /// Requests per second of one step.
    pub fn rate(&self, step: &str) -> f64 {
        self.steps
            .get(step)
            .map_or(0.0, |l| l.count() as f64 / self.seconds)
    }

    /// Every request of the run, for the overall percentiles.
    pub fn all(&self) -> Latencies {
        let mut all = Latencies::default();
        for l in self.steps.values() {
            all.merge(l.0.clone());
        }
        all.sort();
        all
    }

    /// Failed operations in total.
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Virtual clients.
    pub clients: usize,
    /// Measured time.
    pub duration: Duration,
    /// Time run but not recorded, so that connections and caches are warm.
    pub warmup: Duration,
    /// Base URLs of the nodes, used round-robin.
    pub bases: Vec<String>,
    /// Operations per second offered by all clients together: each client
    /// starts its operations on a fixed schedule (an open loop) and the
    /// latency counts from the scheduled start, so a stall is not hidden by
    /// the clients waiting for it. `None`: back to back (a closed loop).
    pub pace: Option<f64>,
}

/// Runs `ops` by weight with `spec.clients` virtual clients.
pub async fn run(ops: &[Op], shared: Arc<Shared>, spec: &RunSpec) -> anyhow::Result<RunResult> {
    let total: u32 = ops.iter().map(|o| o.weight).sum();
    anyhow::ensure!(total > 0, "the mix has no operations");
    let ops: Arc<Vec<Op>> = Arc::new(ops.to_vec());
    let bases = Arc::new(spec.bases.clone());
    let start = Instant::now();
    let record_from = start + spec.warmup;
    let stop = record_from + spec.duration;
    let mut tasks = Vec::with_capacity(spec.clients);
    for id in 0..spec.clients {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut client = Client {
            id,
            http,
            rng: StdRng::seed_from_u64(0x7b_0000 + id as u64),
            bases: bases.clone(),
            next_base: id,
            record_from,
            stats: BTreeMap::new(),
            scheduled: None,
        };
        let ops = ops.clone();
        let shared = shared.clone();
        // Paced clients start evenly spread over one interval.
        let interval = spec
            .pace
            .map(|rate| Duration::from_secs_f64(spec.clients as f64 / rate.max(0.001)));
        let mut next = start
            + interval.map_or(Duration::ZERO, |i| {
                i.mul_f64(id as f64 / spec.clients as f64)
            });
        tasks.push(tokio::spawn(async move {
            let mut done: BTreeMap<&'static str, u64> = BTreeMap::new();
            let mut errors: BTreeMap<&'static str, (u64, String)> = BTreeMap::new();
            while Instant::now() < stop {
                if let Some(i) = interval {
                    tokio::time::sleep_until(next.into()).await;
                    client.scheduled = Some(next);
                    next += i;
                    if next < Instant::now() {
                        // Behind schedule: the lost starts are skipped, and
                        // the late one is timed from when it was due.
                        next = Instant::now();
                    }
                    if Instant::now() >= stop {
                        break;
                    }
                }
                let mut r = client.rng.random_range(0..total);
                let op = ops
                    .iter()
                    .find(|o| {
                        if r < o.weight {
                            true
                        } else {
                            r -= o.weight;
                            false
                        }
                    })
                    .copied();
                let Some(op) = op else { break };
                let began = Instant::now();
                let outcome = (op.run)(&mut client, &shared).await;
                if began < record_from || Instant::now() > stop {
                    continue;
                }
                match outcome {
                    Ok(()) => *done.entry(op.name).or_default() += 1,
                    Err(reason) => {
                        let e = errors.entry(op.name).or_insert((0, reason));
                        e.0 += 1;
                    }
                }
            }
            (client.stats, done, errors)
        }));
    }
    let mut result = RunResult {
        seconds: spec.duration.as_secs_f64(),
        ..RunResult::default()
    };
    for t in tasks {
        let (stats, done, errors) = t.await?;
        for (step, lat) in stats {
            result.steps.entry(step).or_default().merge(lat);
        }
        for (name, n) in done {
            *result.ops.entry(name).or_default() += n;
        }
        for (name, (n, reason)) in errors {
            let e = result.errors.entry(name).or_insert((0, reason));
            e.0 += n;
        }
    }
    for l in result.steps.values_mut() {
        l.sort();
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popular_picks_follow_zipf_and_reach_every_rank() {
        let mut c = Client {
            id: 0,
            http: reqwest::Client::new(),
            rng: StdRng::seed_from_u64(7),
            bases: Arc::new(vec![String::new()]),
            next_base: 0,
            record_from: Instant::now(),
            stats: BTreeMap::new(),
            scheduled: None,
        };
        let n = 1000;
        let mut counts = vec![0u32; n];
        for _ in 0..200_000 {
            counts[c.pick_popular(n)] += 1;
        }
        // P(rank 0) = ln 2 / ln 1001 ≈ 0.10; the top 10 take ln 11 / ln 1001 ≈ 0.35.
        let top: u32 = counts[..10].iter().sum();
        assert!((18_000..22_000).contains(&counts[0]), "{}", counts[0]);
        assert!((66_000..73_000).contains(&top), "{top}");
        assert!(counts[n - 1] > 0 && counts[500] > 0);
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut l = Latencies((1..=100).map(|ms| ms * 1000).collect());
        l.sort();
        assert_eq!(l.quantile_ms(0.5), 50.0);
        assert_eq!(l.quantile_ms(0.99), 99.0);
        assert_eq!(l.quantile_ms(1.0), 100.0);
        assert_eq!(l.quantile_ms(0.0), 1.0);
        assert_eq!(Latencies::default().quantile_ms(0.99), 0.0);
    }
}
