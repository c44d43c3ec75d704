//! The report of a benchmark run: the tables and verdicts that go into
//! `BENCHMARKS.md`, and splicing them into the file.

use std::fmt::Write as _;

use anyhow::Context;

use super::{MixRun, Options, Report};
use crate::storage;

/// One run's table, for the console.
pub(super) fn per_step(run: &MixRun) -> String {
    let mut out = String::new();
    mix_table(&mut out, run);
    out
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn range(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(0.0, f64::max);
    format!("{lo:.0}–{hi:.0}")
}

fn mix_table(out: &mut String, run: &MixRun) {
    let r = &run.result;
    let _ = writeln!(
        out,
        "| request | req/s | p50 ms | p95 ms | p99 ms | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (step, l) in &r.steps {
        let op_errors: u64 = r
            .errors
            .iter()
            .filter(|(op, _)| step_of_op(op, step))
            .map(|(_, (n, _))| *n)
            .sum();
        let _ = writeln!(
            out,
            "| {step} | {:.0} | {} | {} | {} | {op_errors} |",
            l.count() as f64 / r.seconds,
            ms(l.quantile_ms(0.5)),
            ms(l.quantile_ms(0.95)),
            ms(l.quantile_ms(0.99)),
        );
    }
    let all = r.all();
    let _ = writeln!(
        out,
        "| **all** | **{:.0}** | {} | {} | **{}** | **{}** |",
        all.count() as f64 / r.seconds,
        ms(all.quantile_ms(0.5)),
        ms(all.quantile_ms(0.95)),
        ms(all.quantile_ms(0.99)),
        r.error_count()
    );
    let nodes: Vec<String> = run
        .usage
        .iter()
        .map(|u| format!("{:.2} cores, peak RSS {:.0} MiB", u.cores, u.peak_rss_mib))
        .collect();
    let _ = writeln!(
        out,
        "\nServer: {}. Load tool: {:.2} cores.",
        nodes.join("; "),
        run.client.cores
    );
    for (op, (n, why)) in &r.errors {
        let _ = writeln!(out, "\nErrors of `{op}`: {n}; the first: `{why}`");
    }
}

/// Whether a mix run meets issue 5's target: p99 ≤ 50 ms, no errors.
fn verdict(out: &mut String, run: &MixRun) {
    let p99 = run.result.all().quantile_ms(0.99);
    let errors = run.result.error_count();
    let met = p99 <= 50.0 && errors == 0;
    let _ = writeln!(
        out,
        "\nTarget (p99 ≤ 50 ms, no errors): **{}** (p99 {} ms, {errors} errors).\n",
        if met { "met" } else { "not met" },
        ms(p99),
    );
}

/// Whether saving a draft's page meets issue 13's target at this load:
/// p99 ≤ 20 ms.
fn draft_verdict(out: &mut String, run: &crate::load::RunResult, what: &str) {
    let Some(l) = run.steps.get("draft_save") else {
        return;
    };
    let p99 = l.quantile_ms(0.99);
    let _ = writeln!(
        out,
        "Draft save (`PATCH /api/v1/applications/{{id}}`, {} saves) p99 ≤ 20 ms {what}: **{}** (p99 {} ms).\n",
        l.count(),
        if p99 <= 20.0 { "met" } else { "not met" },
        ms(p99),
    );
}

/// Which request steps an operation makes.
fn step_of_op(op: &str, step: &str) -> bool {
    match op {
        "oidc" => step == "authorize" || step == "token_code",
        "admin_edit" => step == "edit_open" || step == "edit_save",
        "draft_save" => step == "draft_open" || step == "draft_save",
        "apply" => step.starts_with("apply_") || step.starts_with("case_"),
        other => other == step,
    }
}

/// The generated section of `BENCHMARKS.md`.
pub fn render(o: &Options, r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Run on {} ({} cores), mix at {} clients for {} s per run after a 2 s warm-up; isolated runs at {} connections, {} interleaved rounds.\n",
        host(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        o.clients,
        o.seconds,
        o.connections,
        o.rounds
    );
    if let Some(target) = r.scale.get(1).or(r.scale.first()) {
        let _ = writeln!(
            out,
            "### The mix at {} clients: {}\n",
            o.clients, target.label
        );
        mix_table(&mut out, target);
        verdict(&mut out, target);
    }
    if let Some((rate, run)) = &r.paced {
        let _ = writeln!(
            out,
            "### The same mix and clients, paced at {rate:.0} operations/s (half the rate above)\n"
        );
        let _ = writeln!(
            out,
            "Each client starts its operations on a fixed schedule; latency counts from the scheduled start.\n"
        );
        mix_table(&mut out, run);
        verdict(&mut out, run);
        draft_verdict(&mut out, &run.result, "in this mix");
    }
    if let Some((rate, run)) = &r.draft_paced {
        let _ = writeln!(
            out,
            "### Draft saves alone, paced at {rate:.0} operations/s (half their isolated rate below)\n"
        );
        let _ = writeln!(
            out,
            "Each operation opens the draft (`GET`, for its revision) and saves one answer (`PATCH`); one draft per connection, latency from the scheduled start.\n"
        );
        let _ = writeln!(
            out,
            "| request | req/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|"
        );
        for (step, l) in &run.steps {
            let _ = writeln!(
                out,
                "| {step} | {:.0} | {} | {} | {} |",
                l.count() as f64 / run.seconds,
                ms(l.quantile_ms(0.5)),
                ms(l.quantile_ms(0.95)),
                ms(l.quantile_ms(0.99)),
            );
        }
        let _ = writeln!(out);
        draft_verdict(&mut out, run, "alone at this load");
    }
    if !r.isolated.is_empty() {
        let _ = writeln!(out, "### Each operation alone, against the HTTP limit\n");
        let _ = writeln!(
            out,
            "`/healthz` (the bare handler on the same stack) runs before each operation in every round; the ratio is the operation's rate over that round's `/healthz` rate, median of the rounds.\n"
        );
        let _ = writeln!(
            out,
            "| operation | requests | ops/s (median, range) | p99 ms | `/healthz` req/s | ratio | errors |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
        for (name, rounds) in &r.isolated {
            let rates: Vec<f64> = rounds
                .iter()
                .map(|(_, res)| res.ops.values().sum::<u64>() as f64 / res.seconds)
                .collect();
            let ratios: Vec<f64> = rounds
                .iter()
                .zip(&rates)
                .map(|((h, _), rate)| rate / h.max(1.0))
                .collect();
            let limits: Vec<f64> = rounds.iter().map(|(h, _)| *h).collect();
            let last = &rounds[rounds.len() - 1].1;
            let steps: Vec<&str> = last.steps.keys().copied().collect();
            let p99 = last.all().quantile_ms(0.99);
            let errors: u64 = rounds.iter().map(|(_, res)| res.error_count()).sum();
            let _ = writeln!(
                out,
                "| {name} | {} | {:.0} ({}) | {} | {:.0} | {:.3} | {errors} |",
                steps.join(" + "),
                median(rates.clone()),
                range(&rates),
                ms(p99),
                median(limits),
                median(ratios),
            );
        }
        let _ = writeln!(out);
    }
    if !r.storage.is_empty() {
        let _ = writeln!(out, "### The storage limit\n");
        let _ = writeln!(
            out,
            "Durable transactions per second of the rows one code exchange writes (consume the code, store the refresh token).\n"
        );
        let _ = writeln!(
            out,
            "| database | raw, one per commit | raw, {} per commit (the limit: rusqlite on SQLite) | the same through sqlx | tongban `Db::write`, {} callers | ratio to the better raw mode |",
            storage::GROUP,
            storage::CALLERS
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for s in &r.storage {
            let _ = writeln!(
                out,
                "| {} | {:.0} ({}) | {:.0} | {:.0} | {:.0} | {:.2} |",
                s.engine,
                s.single,
                s.single_how,
                s.grouped,
                s.grouped_sqlx,
                s.platform,
                s.platform / s.grouped.max(s.single).max(1.0)
            );
        }
        let _ = writeln!(
            out,
            "\nNotices queued (the message, its SMS delivery and the delivery's job, one transaction each, {} callers; target 1,000/s on SQLite):\n",
            storage::CALLERS
        );
        let _ = writeln!(
            out,
            "| database | notices/s | ratio to the 1,000/s target | ratio to `Db::write` code exchanges |\n|---|---:|---:|---:|"
        );
        for s in &r.storage {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} | {:.2} |",
                s.engine,
                s.notices,
                s.notices / 1000.0,
                s.notices / s.platform.max(1.0)
            );
        }
        if let (Some(sqlite), Some((_, rounds))) = (
            r.storage.iter().find(|s| s.engine == "sqlite"),
            r.isolated.iter().find(|(n, _)| n == "oidc"),
        ) {
            let rate = median(
                rounds
                    .iter()
                    .map(|(_, res)| res.rate("token_code"))
                    .collect(),
            );
            let _ = writeln!(
                out,
                "\nThe code exchange over HTTP ran at {rate:.0}/s: {:.2} of the platform's SQLite write path and {:.2} of raw grouped commits.",
                rate / sqlite.platform.max(1.0),
                rate / sqlite.grouped.max(sqlite.single).max(1.0)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(a) = &r.applying {
        let grouped = r
            .storage
            .iter()
            .find(|s| s.engine == "sqlite")
            .map_or(0.0, |s| s.grouped.max(s.single));
        let _ = writeln!(out, "### Submitting applications (SQLite, in process)\n");
        let _ = writeln!(
            out,
            "Drafts spread over {} demo items; {} concurrent submitters. A submission with materials streams {} unique {} KB files to the file store (each fsynced) and then submits (case number, event, outbox, notice: one transaction). Its limit, measured in the same run on the same disk: {} files of the same size written and fsynced plus one commit through `Db::write`, at the same concurrency. The submit transaction alone (materials given beforehand) is set against the grouped-commit limit of the storage run above.\n",
            a.items,
            crate::applying::CALLERS,
            crate::applying::FILES,
            crate::applying::FILE_BYTES / 1024,
            crate::applying::FILES,
        );
        let _ = writeln!(
            out,
            "| run | submissions/s | limit/s | ratio | target |\n|---|---:|---:|---:|---:|\n| with {} × {} KB materials | {:.0} | {:.0} | {:.2} | ≥ 0.5 |\n| submit alone | {:.0} | {:.0} | {:.2} | ≥ 0.3 |\n",
            crate::applying::FILES,
            crate::applying::FILE_BYTES / 1024,
            a.with_files,
            a.files_limit,
            a.with_files / a.files_limit.max(1.0),
            a.bare,
            grouped,
            a.bare / grouped.max(1.0),
        );
        let _ = writeln!(
            out,
            "Disk used per submission with materials (files and database): {:.0} KB.\n",
            a.disk_per_submission / 1024.0
        );
    }
    if let Some((before, peak)) = r.upload_rss {
        let rise = peak - before;
        let _ = writeln!(
            out,
            "A 50 MB PDF streamed in 64 KiB pieces to a material that takes 50 MB files (`POST /api/v1/applications/{{id}}/materials/{{code}}/files`, to a node just started on the detailed data set, after one warm-up request; resident memory sampled every 5 ms): RSS {before:.0} MiB before, {peak:.0} MiB at its peak, a rise of {rise:.1} MiB. Target (under 20 MB): **{}**.\n",
            if rise < 20.0 { "met" } else { "not met" },
        );
    }
    if !r.peer.is_empty() {
        let ours: Vec<f64> = r.peer.iter().map(|p| p.0).collect();
        let theirs: Vec<f64> = r.peer.iter().map(|p| p.1).collect();
        let _ = writeln!(out, "### Peer: `client_credentials` tokens (ES256 JWT)\n");
        let _ = writeln!(
            out,
            "| | req/s per round | median |\n|---|---|---:|\n| tongban | {} | {:.0} |\n| node oidc-provider {} | {} | {:.0} |\n",
            ours.iter()
                .map(|v| format!("{v:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(ours.clone()),
            r.peer_version,
            theirs
                .iter()
                .map(|v| format!("{v:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            median(theirs.clone()),
        );
        let _ = writeln!(
            out,
            "Ratio tongban / oidc-provider: **{:.2}** (target ≥ 2).\n",
            median(ours) / median(theirs).max(1.0)
        );
    }
    if !r.scale.is_empty() {
        let _ = writeln!(out, "### Scale curve (SQLite, the same mix)\n");
        let cols = [
            "guide",
            "theme",
            "search",
            "home",
            "me",
            "authorize",
            "token_code",
            "edit_save",
            "sign_in",
        ];
        let _ = writeln!(
            out,
            "p50 / p99 in ms per request; the mix's throughput; the server's peak memory.\n"
        );
        let _ = write!(out, "| items | accounts |");
        for c in cols {
            let _ = write!(out, " {c} |");
        }
        let _ = writeln!(out, " all req/s | errors | RSS MiB |");
        let _ = writeln!(
            out,
            "|---:|---:|{}---:|---:|---:|",
            "---|".repeat(cols.len())
        );
        for s in &r.scale {
            let _ = write!(out, "| {} | {} |", s.items, s.accounts);
            for c in cols {
                match s.result.steps.get(c) {
                    Some(l) => {
                        let _ = write!(
                            out,
                            " {} / {} |",
                            ms(l.quantile_ms(0.5)),
                            ms(l.quantile_ms(0.99))
                        );
                    }
                    None => {
                        let _ = write!(out, " – |");
                    }
                }
            }
            let _ = writeln!(
                out,
                " {:.0} | {} | {:.0} |",
                s.result.all().count() as f64 / s.result.seconds,
                s.result.error_count(),
                s.usage.iter().map(|u| u.peak_rss_mib).fold(0.0, f64::max)
            );
        }
        let _ = writeln!(out);
    }
    for run in &r.pg {
        let _ = writeln!(
            out,
            "### {} ({} items, {} accounts)\n",
            run.label, run.items, run.accounts
        );
        mix_table(&mut out, run);
        let _ = writeln!(out);
    }
    if r.pg.len() == 2 {
        let rate = |m: &MixRun| m.result.all().count() as f64 / m.result.seconds;
        let _ = writeln!(
            out,
            "Two nodes / one node throughput: {:.2}; total server CPU {:.2} vs {:.2} cores.\n",
            rate(&r.pg[1]) / rate(&r.pg[0]).max(1.0),
            r.pg[1].usage.iter().map(|u| u.cores).sum::<f64>(),
            r.pg[0].usage.iter().map(|u| u.cores).sum::<f64>(),
        );
    }
    if !r.seeding.is_empty() {
        let _ = writeln!(out, "### Seeding\n");
        for (what, secs) in &r.seeding {
            let _ = writeln!(out, "- {what}: {secs:.1} s");
        }
        let _ = writeln!(out);
    }
    out
}

fn host() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "this machine".into())
}

/// Replaces the generated section of `BENCHMARKS.md` (between the markers)
/// with `section`.
pub fn splice(doc: &str, section: &str) -> anyhow::Result<String> {
    const BEGIN: &str = "<!-- figures: begin (written by tongban-bench) -->";
    const END: &str = "<!-- figures: end -->";
    let a = doc
        .find(BEGIN)
        .context("BENCHMARKS.md has no begin marker")?;
    let b = doc.find(END).context("BENCHMARKS.md has no end marker")?;
    anyhow::ensure!(a < b, "BENCHMARKS.md markers are out of order");
    Ok(format!("{}{BEGIN}\n\n{section}{}", &doc[..a], &doc[b..]))
}
