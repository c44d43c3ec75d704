//! Request metrics in the Prometheus text format, kept in-process: counts by
//! method, route and status, and a latency histogram by route.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket bounds in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Hist {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
struct Data {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Hist>,
}

/// The registry.
#[derive(Default)]
pub struct Metrics {
    data: Mutex<Data>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let Ok(mut d) = self.data.lock() else { return };
        *d.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let h = d.latency.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.total += 1;
    }

    /// Renders the metrics, followed by `extra` lines (gauges from elsewhere).
    pub fn render(&self, extra: &str) -> String {
        let mut out = String::new();
        let Ok(d) = self.data.lock() else { return out };
        out.push_str(
            "# HELP tongban_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE tongban_http_requests_total counter\n");
        for ((m, r, s), n) in &d.requests {
            let _ = writeln!(
                out,
                "tongban_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(m),
                escape(r)
            );
        }
        out.push_str("# HELP tongban_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE tongban_http_request_duration_seconds histogram\n");
        for (r, h) in &d.latency {
            let r = escape(r);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "tongban_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.total
            );
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.total
            );
        }
        out.push_str(extra);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets() {
        let m = Metrics::default();
        m.record("GET", "/", 200, Duration::from_millis(3));
        m.record("GET", "/", 200, Duration::from_millis(30));
        let text = m.render("");
        assert!(
            text.contains(
                "tongban_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"
            )
        );
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("_count{route=\"/\"} 2"));
    }
}
