//! Herald's own load benchmark: `cargo bench --bench load -- [options]`.
//!
//! It starts the release `herald` binary on loopback ports with a fresh data directory, drives it over HTTP
//! the way Prometheus and an on-call engineer do, and prints what it measured: ingest of new alerts and
//! re-posts (alerts/s, request latency), the listings (latency), a burst of groups due at once (notification
//! delay to a local webhook sink, exactly-once), a `kill -9` restart (time until ready, nothing lost), memory
//! (peak RSS), and optionally a soak run (request latency per 10 s window while alerts resolve and groups are
//! cleaned up). Every loop is bounded in count and in time. For side-by-side figures against Alertmanager use
//! the shared harness (README, "Performance").

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/it/postgres.rs"]
mod postgres;
use clap::Parser;
use serde_json::{Value, json};

/// Options.
#[derive(Parser, Debug)]
#[command(about = "Load benchmark for Herald (loopback only)")]
struct Options {
    /// Active alerts to ingest (then re-post, list, and restart with).
    #[arg(long, default_value_t = 100_000)]
    alerts: usize,
    /// Alerts per request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Concurrent connections posting.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Groups due at once in the notification burst.
    #[arg(long, default_value_t = 10_000)]
    groups: usize,
    /// Listings are measured up to this many alerts (a full listing of 1M alerts is 750 MB of JSON).
    #[arg(long, default_value_t = 100_000)]
    listings_max: usize,
    /// Seconds of soak run (0: none).
    #[arg(long, default_value_t = 0)]
    soak: u64,
    /// The soak's `--alerts.gc-interval` (Herald's default is 30m, as Alertmanager's): shorter, the removal of
    /// resolved alerts runs within the soak.
    #[arg(long, default_value = "30m")]
    soak_gc_interval: String,
    /// Scenarios to run, comma-separated: ingest (with re-post, listings and restart), notify, escalation (the
    /// notify burst again with an escalation policy on every group), replicas (ingest and notify on two
    /// replicas sharing a throwaway PostgreSQL 15), telemetry (ingest and the burst with the history and the
    /// per-notification log line on, then off, twice), soak.
    #[arg(long, default_value = "ingest,notify,replicas,soak")]
    only: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The longest any phase may take.
const PHASE_TIMEOUT: Duration = Duration::from_secs(300);

const INGEST_CONFIG: &str = "
global:
  resolve_timeout: 5m
route:
  receiver: default
  group_by: ['alertname', 'cluster']
  group_wait: 10m
  group_interval: 10m
  repeat_interval: 4h
  routes:
  - match: {severity: critical}
    receiver: pager
  - match: {severity: warning}
    receiver: team
  - match_re: {job: 'db|cache'}
    receiver: team
receivers:
- name: default
  webhook_configs: [{url: 'http://127.0.0.1:SINK/default'}]
- name: pager
  webhook_configs: [{url: 'http://127.0.0.1:SINK/pager'}]
- name: team
  webhook_configs: [{url: 'http://127.0.0.1:SINK/team'}]
";

const NOTIFY_CONFIG: &str = "
global:
  resolve_timeout: 5m
route:
  receiver: hook
  group_by: ['alertname', 'cluster', 'service']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs: [{url: 'http://127.0.0.1:SINK/hook', send_resolved: false}]
";

/// The listings measured, as the shared harness queries them.
const LISTINGS: [(&str, &str); 3] = [
    ("GET alerts", "/api/v2/alerts"),
    ("GET alerts/groups", "/api/v2/alerts/groups"),
    ("GET alerts, filtered", "/api/v2/alerts?filter=alertname%3D%22TargetDown%22&filter=cluster%3D%22prod-1%22"),
];

const JOBS: [&str; 5] = ["node", "db", "cache", "api", "kube-state-metrics"];
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let only: Vec<&str> = options.only.split(',').map(str::trim).collect();
    let sink = Sink::start().await?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    println!(
        "herald load benchmark: {} alerts, batch {}, {} connections",
        options.alerts, options.batch, options.concurrency
    );
    if only.contains(&"ingest") {
        ingest_scenario(&options, &client, &sink).await?;
    }
    if only.contains(&"notify") || only.contains(&"escalation") {
        notify_scenario(&options, &client, &sink).await?;
    }
    if only.contains(&"replicas") {
        replicas_scenario(&options, &client, &sink).await?;
    }
    if only.contains(&"telemetry") {
        telemetry_scenario(&options, &client, &sink).await?;
    }
    if only.contains(&"soak") && options.soak > 0 {
        soak_scenario(&options, &client, &sink).await?;
    }
    Ok(())
}

/// Ingest, re-post, the listings, memory, then a `kill -9` restart.
async fn ingest_scenario(
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
) -> Result<(), Box<dyn std::error::Error>> {
    let data = tempfile::tempdir()?;
    let mut server = Server::start(&INGEST_CONFIG.replace("SINK", &sink.port.to_string()), data.path()).await?;
    let now = unix_now();
    let bodies = alert_bodies(0, options.alerts, options.batch, now, now + 3600.0, None);
    let cpu = server.cpu();
    let run = post_all(client, &server.url, &bodies, options.concurrency).await?;
    report("ingest", options.alerts, &run, &server, server.cpu() - cpu);
    let bodies = alert_bodies(0, options.alerts, options.batch, now, now + 7200.0, None);
    post_all(client, &server.url, &bodies, options.concurrency).await?;
    let cpu = server.cpu();
    let run = post_all(client, &server.url, &bodies, options.concurrency).await?;
    report("re-post", options.alerts, &run, &server, server.cpu() - cpu);
    let listings = if options.alerts <= options.listings_max { LISTINGS.as_slice() } else { &[] };
    for (name, path) in listings {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let body = client.get(format!("{}{path}", server.url)).send().await?.error_for_status()?.bytes().await?;
            times.push(started.elapsed());
            size = body.len();
        }
        times.sort();
        println!(
            "{name:<24} p50 {:>8.1} ms   max {:>8.1} ms   {:>6.1} MiB",
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1]),
            size as f64 / 1048576.0
        );
    }
    println!("{:<24} VmHWM {} MiB, VmRSS {} MiB", "memory", server.memory("VmHWM"), server.memory("VmRSS"));
    features_at_scale(options, client, &server).await?;
    let expected = count_alertname(client, &server.url, "TargetDown").await?;
    server.kill();
    let started = Instant::now();
    let restarted = Server::start_on(&server.config, data.path(), server.port, &[]).await?;
    let ready = started.elapsed();
    let found = count_alertname(client, &restarted.url, "TargetDown").await?;
    println!(
        "{:<24} ready after {:.2} s; TargetDown alerts before {expected}, after {found}; VmHWM {} MiB",
        "restart after kill -9",
        ready.as_secs_f64(),
        restarted.memory("VmHWM")
    );
    Ok(())
}

/// What Herald's own features cost with every alert of the ingest active: a `/metrics` scrape, and a config
/// change over the API, which answers once the new routing is in force (every alert re-routed).
async fn features_at_scale(
    options: &Options,
    client: &reqwest::Client,
    server: &Server,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut scrapes = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let text = client.get(format!("{}/metrics", server.url)).send().await?.error_for_status()?.text().await?;
        scrapes.push(started.elapsed());
        if !text.contains("alertmanager_alerts{state=\"active\"}") {
            return Err("the scrape has no alertmanager_alerts".into());
        }
    }
    scrapes.sort();
    println!(
        "{:<24} p50 {:>8.1} ms   max {:>8.1} ms   ({} alerts)",
        "GET /metrics",
        ms(scrapes[scrapes.len() / 2]),
        ms(scrapes[scrapes.len() - 1]),
        options.alerts
    );
    // Each change moves the `db|cache` jobs between two receivers, so every change re-routes alerts.
    let mut changes = Vec::new();
    for round in 0..3 {
        let receiver = if round % 2 == 0 { "pager" } else { "team" };
        let config =
            server.config.replace("receiver: team\n  - match_re", &format!("receiver: {receiver}\n  - match_re"));
        let started = Instant::now();
        let response = client
            .put(format!("{}/api/herald/config", server.url))
            .header("content-type", "application/yaml")
            .body(config)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        changes.push(started.elapsed());
        if !status.is_success() {
            return Err(format!("PUT /api/herald/config answered {status}: {body}").into());
        }
    }
    changes.sort();
    println!(
        "{:<24} p50 {:>8.1} ms   max {:>8.1} ms   (applied, {} alerts re-routed)",
        "PUT config",
        ms(changes[changes.len() / 2]),
        ms(changes[changes.len() - 1]),
        options.alerts
    );
    Ok(())
}

/// `groups` groups of one alert each, all posted at once: how long after `group_wait` each is notified.
async fn notify_scenario(
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
) -> Result<(), Box<dyn std::error::Error>> {
    let plain = NOTIFY_CONFIG.replace("SINK", &sink.port.to_string());
    // The same burst with an escalation policy on the route: every group starts an episode, stored with it
    // (the levels, an hour away, do not fire within the run).
    let escalating =
        plain.replace(
            "  repeat_interval: 1h\n",
            "  repeat_interval: 1h\n  escalation:\n  - after: 1h\n    receiver: boss\n",
        ) + &format!("- name: boss\n  webhook_configs: [{{url: 'http://127.0.0.1:{}/boss'}}]\n", sink.port);
    let runs: &[(&str, &String)] = if options.only.contains("escalation") {
        &[("notify burst", &plain), ("burst, escalating", &escalating)]
    } else {
        &[("notify burst", &plain)]
    };
    for (label, config) in runs {
        let data = tempfile::tempdir()?;
        let server = Server::start(config, data.path()).await?;
        burst(label, options, client, sink, &server).await?;
    }
    Ok(())
}

/// Posts the burst's alerts (one group each) to `server` and reports it.
async fn burst(
    label: &str,
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
    server: &Server,
) -> Result<(), Box<dyn std::error::Error>> {
    sink.reset();
    let now = unix_now();
    let bodies = alert_bodies(0, options.groups, options.batch, now, now + 3600.0, Some(()));
    let cpu = server.cpu();
    let run = post_all(client, &server.url, &bodies, options.concurrency).await?;
    report_burst(label, options, sink, &run, &[(server, cpu)]).await;
    Ok(())
}

/// Waits for the burst's notifications and prints their delay after `group_wait`, when the last one came
/// after the last post was answered (what group_wait and the delivery took; at 100k groups the delay
/// measures the ingest), whether each group was notified exactly once, and the servers' CPU per
/// notification (taking the alerts in included) from `cpu`, each server's CPU seconds before the posts.
async fn report_burst(label: &str, options: &Options, sink: &Sink, run: &PostRun, cpu: &[(&Server, f64)]) {
    let posted = Instant::now();
    let deadline = posted + Duration::from_secs(120);
    while sink.count() < options.groups && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let used: f64 = cpu.iter().map(|(server, before)| server.cpu() - before).sum();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let arrivals = sink.arrivals();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut delays = Vec::new();
    for (service, at) in &arrivals {
        *seen.entry(service.clone()).or_default() += 1;
        let index: usize = service.trim_start_matches("svc-").parse().unwrap_or(usize::MAX);
        if let Some(sent) = run.sent_at.get(index / options.batch) {
            delays.push(at.saturating_duration_since(*sent + Duration::from_secs(1)));
        }
    }
    delays.sort();
    let exactly_once = seen.len() == options.groups && seen.values().all(|count| *count == 1);
    let last = arrivals.iter().map(|(_, at)| *at).max().map(|at| at.saturating_duration_since(posted));
    let pct = |q: f64| quantile(&delays, q);
    println!(
        "{label:<24} {} groups: delay p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; last {:.0} ms after the last post; {:.0} us CPU per notification; exactly once: {exactly_once}",
        options.groups,
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(delays.last().copied().unwrap_or_default()),
        ms(last.unwrap_or_default()),
        1e6 * used / arrivals.len().max(1) as f64,
    );
}

/// Ingest and the notification burst with Herald's telemetry as shipped (metrics, the notification
/// history, a log line per notification) and with the history and the log line off (`--history.retention=0s
/// --log.level=warn`); metrics cannot be turned off. Twice, alternating, since the two differ by less than
/// this machine's run-to-run spread.
async fn telemetry_scenario(
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
) -> Result<(), Box<dyn std::error::Error>> {
    let off = ["--history.retention=0s".to_string(), "--log.level=warn".to_string()];
    for round in 0..2 {
        for (label, extra) in [("on", &[][..]), ("off", &off[..])] {
            let data = tempfile::tempdir()?;
            let config = INGEST_CONFIG.replace("SINK", &sink.port.to_string());
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let server = Server::start_on(&config, data.path(), port, extra).await?;
            let now = unix_now();
            let bodies = alert_bodies(0, options.alerts, options.batch, now, now + 3600.0, None);
            let cpu = server.cpu();
            let run = post_all(client, &server.url, &bodies, options.concurrency).await?;
            report(&format!("ingest, telemetry {label} ({round})"), options.alerts, &run, &server, server.cpu() - cpu);
            drop(server);
            let data = tempfile::tempdir()?;
            let config = NOTIFY_CONFIG.replace("SINK", &sink.port.to_string());
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let server = Server::start_on(&config, data.path(), port, extra).await?;
            burst(&format!("burst, telemetry {label} ({round})"), options, client, sink, &server).await?;
        }
    }
    Ok(())
}

/// The same ingest and burst on two replicas sharing a throwaway PostgreSQL 15: alerts spread over both
/// replicas, then a burst posted to both (as Prometheus posts to each replica), every group notified once.
async fn replicas_scenario(
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
) -> Result<(), Box<dyn std::error::Error>> {
    if !postgres::installed() {
        println!("{:<24} skipped: PostgreSQL 15 is not installed (apt-get install postgresql-15)", "2 replicas");
        return Ok(());
    }
    for (phase, config) in [("ingest", INGEST_CONFIG), ("notify", NOTIFY_CONFIG)] {
        let database = postgres::Postgres::start();
        let config = config.replace("SINK", &sink.port.to_string());
        let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let a = Server::start_replica(&config, dir_a.path(), &database.url(), "a").await?;
        let b = Server::start_replica(&config, dir_b.path(), &database.url(), "b").await?;
        let urls = [a.url.clone(), b.url.clone()];
        // Both replicas hold their shards before the load starts.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = unix_now();
        if phase == "ingest" {
            let bodies = alert_bodies(0, options.alerts, options.batch, now, now + 3600.0, None);
            let cpu = a.cpu() + b.cpu();
            let run = post_to(client, &urls, Fan::Spread, &bodies, options.concurrency).await?;
            report("ingest, 2 replicas (pg)", options.alerts, &run, &a, a.cpu() + b.cpu() - cpu);
            let bodies = alert_bodies(0, options.alerts, options.batch, now, now + 7200.0, None);
            let cpu = a.cpu() + b.cpu();
            let run = post_to(client, &urls, Fan::Spread, &bodies, options.concurrency).await?;
            report("re-post, 2 replicas (pg)", options.alerts, &run, &a, a.cpu() + b.cpu() - cpu);
        } else {
            sink.reset();
            let bodies = alert_bodies(0, options.groups, options.batch, now, now + 3600.0, Some(()));
            let cpu = [(&a, a.cpu()), (&b, b.cpu())];
            let run = post_to(client, &urls, Fan::Every, &bodies, options.concurrency).await?;
            report_burst("burst, 2 replicas (pg)", options, sink, &run, &cpu).await;
        }
    }
    Ok(())
}

/// Prometheus-like traffic for `soak` seconds: every 10 s window re-posts the active alerts, adds new ones and
/// resolves old ones (so groups flush, resolve and are removed), with request latency per window.
async fn soak_scenario(
    options: &Options,
    client: &reqwest::Client,
    sink: &Sink,
) -> Result<(), Box<dyn std::error::Error>> {
    let data = tempfile::tempdir()?;
    // Routed and grouped as in the ingest scenario, with timers short enough that groups flush, notify
    // resolves, and are removed within the run.
    let config = INGEST_CONFIG
        .replace("SINK", &sink.port.to_string())
        .replace("group_wait: 10m", "group_wait: 1s")
        .replace("group_interval: 10m", "group_interval: 5s")
        .replace("repeat_interval: 4h", "repeat_interval: 1m");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let gc = [format!("--alerts.gc-interval={}", options.soak_gc_interval)];
    let server = Server::start_on(&config, data.path(), port, &gc).await?;
    let active = options.alerts.min(20_000);
    let per_window = active / 10;
    let started = Instant::now();
    let mut first = 0;
    let mut window = 0;
    println!("{:<24} {active} active alerts, {per_window} new and {per_window} resolved per 10 s", "soak");
    while started.elapsed() < Duration::from_secs(options.soak) {
        let now = unix_now();
        let mut bodies = alert_bodies(first, active, options.batch, now - 60.0, now + 300.0, None);
        bodies.extend(alert_bodies(
            first.saturating_sub(per_window),
            per_window.min(first),
            options.batch,
            now - 60.0,
            now - 1.0,
            None,
        ));
        let window_started = Instant::now();
        let run = post_all(client, &server.url, &bodies, options.concurrency).await?;
        let mut latencies = run.latencies.clone();
        latencies.sort();
        let p = |q: f64| quantile(&latencies, q);
        println!(
            "  window {window:>3}: {} requests, p50 {:>6.2} ms, p99 {:>6.2} ms, max {:>6.2} ms; notifications so far {}",
            latencies.len(),
            ms(p(0.5)),
            ms(p(0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
            sink.count()
        );
        first += per_window;
        window += 1;
        let rest = Duration::from_secs(10).saturating_sub(window_started.elapsed());
        tokio::time::sleep(rest).await;
    }
    println!("{:<24} VmHWM {} MiB, VmRSS {} MiB", "soak memory", server.memory("VmHWM"), server.memory("VmRSS"));
    Ok(())
}

/// One timed run of posts.
struct PostRun {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// When each body was sent, by body index.
    sent_at: Vec<Instant>,
}

/// POSTs every body over `concurrency` connections; fails on any non-200.
async fn post_all(
    client: &reqwest::Client,
    url: &str,
    bodies: &[Bytes],
    concurrency: usize,
) -> Result<PostRun, Box<dyn std::error::Error>> {
    post_to(client, &[url.to_string()], Fan::Spread, bodies, concurrency).await
}

/// Where each body goes when there are several servers.
#[derive(Clone, Copy, PartialEq)]
enum Fan {
    /// Body `i` to server `i mod n`: the load shared out.
    Spread,
    /// Every body to every server in turn, as Prometheus sends to each Alertmanager of an HA pair.
    Every,
}

/// POSTs every body to `urls` as `fan` says, over `concurrency` connections; fails on any non-200. A
/// body's latency is the time until every server it went to answered.
async fn post_to(
    client: &reqwest::Client,
    urls: &[String],
    fan: Fan,
    bodies: &[Bytes],
    concurrency: usize,
) -> Result<PostRun, Box<dyn std::error::Error>> {
    let next = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(bodies.to_vec());
    let urls: Arc<Vec<String>> = Arc::new(urls.iter().map(|url| format!("{url}/api/v2/alerts")).collect());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, bodies, urls) = (client.clone(), Arc::clone(&next), Arc::clone(&bodies), Arc::clone(&urls));
        tasks.push(tokio::spawn(async move {
            let mut timings = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || started.elapsed() > PHASE_TIMEOUT {
                    return Ok::<_, String>(timings);
                }
                let targets: Vec<&String> = match fan {
                    Fan::Spread => vec![&urls[i % urls.len()]],
                    Fan::Every => urls.iter().collect(),
                };
                let sent = Instant::now();
                for url in targets {
                    let response = client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(bodies[i].clone())
                        .send()
                        .await
                        .map_err(|err| err.to_string())?;
                    if !response.status().is_success() {
                        return Err(format!("POST answered {}", response.status()));
                    }
                }
                timings.push((i, sent, sent.elapsed()));
            }
        }));
    }
    let mut sent_at = vec![started; bodies.len()];
    let mut latencies = Vec::new();
    for task in tasks {
        for (i, sent, latency) in task.await?? {
            sent_at[i] = sent;
            latencies.push(latency);
        }
    }
    Ok(PostRun { elapsed: started.elapsed(), latencies, sent_at })
}

/// Prints a run of posts: throughput, request latency, the server's CPU per alert (`cpu`, the CPU seconds the
/// servers used during the run) and peak memory.
fn report(name: &str, alerts: usize, run: &PostRun, server: &Server, cpu: f64) {
    let mut latencies = run.latencies.clone();
    latencies.sort();
    let p = |q: f64| quantile(&latencies, q);
    println!(
        "{name:<24} {:>9.0} alerts/s   request p50 {:>6.2} ms  p99 {:>6.2} ms   CPU {:>5.1} us/alert   VmHWM {} MiB",
        alerts as f64 / run.elapsed.as_secs_f64(),
        ms(p(0.5)),
        ms(p(0.99)),
        1e6 * cpu / alerts.max(1) as f64,
        server.memory("VmHWM"),
    );
}

/// Request bodies of `batch` alerts each, alerts `first..first+count` (about 620 bytes each, like the
/// shared harness's). With `per_group`, each alert gets its own `service` (one group each in the notify
/// config).
fn alert_bodies(first: usize, count: usize, batch: usize, starts: f64, ends: f64, per_group: Option<()>) -> Vec<Bytes> {
    let alerts: Vec<Value> = (first..first + count)
        .map(|i| {
            let name = format!("Alert{:02}", i % 50);
            let name = if i % 50 == 0 { "TargetDown".to_string() } else { name };
            let (job, severity, cluster) = (JOBS[i % JOBS.len()], SEVERITIES[i % SEVERITIES.len()], format!("prod-{}", i % 10));
            let instance = format!("host-{i:07}.dc1.example.net:9100");
            let mut labels = json!({"alertname": name, "instance": instance, "job": job, "severity": severity, "cluster": cluster});
            if per_group.is_some() {
                labels["service"] = json!(format!("svc-{i}"));
            }
            json!({
                "labels": labels,
                "annotations": {
                    "summary": format!("{name} on {instance}"),
                    "description": format!("{name} has been firing for instance {instance} (job {job}) in cluster {cluster}; value is above the configured threshold. See runbook https://runbooks.example.net/{name}"),
                },
                "startsAt": rfc3339(starts),
                "endsAt": rfc3339(ends),
                "generatorURL": format!("http://prometheus-{}.example.net:9090/graph?g0.expr=up%3D%3D0&g0.tab=1", i % 10),
            })
        })
        .collect();
    alerts
        .chunks(batch.max(1))
        .map(|chunk| Bytes::from(serde_json::to_vec(chunk).expect("JSON values serialize")))
        .collect()
}

async fn count_alertname(client: &reqwest::Client, url: &str, name: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let listed: Vec<Value> = client
        .get(format!("{url}/api/v2/alerts?filter=alertname%3D%22{name}%22"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(listed.len())
}

/// A running `herald serve`.
struct Server {
    child: Child,
    url: String,
    port: u16,
    config: String,
}

impl Server {
    async fn start(config: &str, data_dir: &Path) -> Result<Server, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Server::start_on(config, data_dir, port, &[]).await
    }

    /// A replica on the Postgres database at `url`.
    async fn start_replica(
        config: &str,
        data_dir: &Path,
        url: &str,
        name: &str,
    ) -> Result<Server, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let args = [format!("--storage.url={url}"), format!("--replica.name={name}")];
        Server::start_on(config, data_dir, port, &args).await
    }

    async fn start_on(
        config: &str,
        data_dir: &Path,
        port: u16,
        extra: &[String],
    ) -> Result<Server, Box<dyn std::error::Error>> {
        let config_path = data_dir.join("bench.yml");
        std::fs::write(&config_path, config)?;
        let child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["serve", "--config"])
            .arg(&config_path)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir.join("data"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Server { child, url: format!("http://127.0.0.1:{port}"), port, config: config.to_string() };
        let deadline = Instant::now() + Duration::from_secs(60);
        let probe = reqwest::Client::new();
        while Instant::now() < deadline {
            if probe.get(format!("{}/api/v2/status", server.url)).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err("herald did not become ready within 60 s".into())
    }

    /// A `VmHWM`/`VmRSS` figure in MiB.
    fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|line| line.starts_with(field))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    }

    /// The CPU seconds (user and system) the process has used.
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
        (ticks(11) + ticks(12)) / 100.0
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A webhook receiver that records when each notification arrived and for which `service`.
struct Sink {
    port: u16,
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Sink {
    async fn start() -> Result<Sink, Box<dyn std::error::Error>> {
        let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let recorded = Arc::clone(&arrivals);
        let app = axum::Router::new().fallback(move |body: Bytes| {
            let recorded = Arc::clone(&recorded);
            async move {
                let at = Instant::now();
                let service = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v["groupLabels"]["service"].as_str().map(str::to_string))
                    .unwrap_or_default();
                recorded.lock().expect("not poisoned").push((service, at));
                ""
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Sink { port, arrivals })
    }

    fn reset(&self) {
        self.arrivals.lock().expect("not poisoned").clear();
    }

    fn count(&self) -> usize {
        self.arrivals.lock().expect("not poisoned").len()
    }

    fn arrivals(&self) -> Vec<(String, Instant)> {
        self.arrivals.lock().expect("not poisoned").clone()
    }
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn rfc3339(unix: f64) -> String {
    chrono::DateTime::from_timestamp_micros((unix * 1e6) as i64)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The `q` quantile of sorted durations (zero for none).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
