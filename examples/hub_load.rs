//! Many simulated boxes sending to a hub (or to several replicas, round
//! robin) on 127.0.0.1: minute batches with events, heartbeats, and the
//! occasional clip, as fast as the hub takes them. Prints minute rows per
//! second and the p50 / p99 request latency. Run by `scripts/bench-hub.sh`.
//!
//! cargo run --release --example hub_load -- --urls http://127.0.0.1:8800,http://127.0.0.1:8801 \
//!     --tokens tokens.txt --day 2026-12-01 --windows 10 --minutes 480 --batch 60 --concurrency 8

use std::time::{Duration, Instant};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

fn batch(day: &str, w: &str, from: u32, to: u32) -> String {
    let minutes: Vec<serde_json::Value> = (from..to)
        .map(|i| {
            serde_json::json!({
                "window": w, "minute": format!("{day}T{:02}:{:02}:00+08:00", 9 + i / 60, i % 60),
                "observed_s": 60.0, "in_service_s": 60.0, "staffed_s": 60.0 - f64::from(i % 5),
                "compliant_s": 50.0 + f64::from(i % 7), "unknown_s": 0.5,
                "rules": {"slouching": {"violation_s": f64::from(i % 3), "events": i % 2}}
            })
        })
        .collect();
    let events: Vec<serde_json::Value> = (from..to)
        .filter(|i| i % 30 == 0)
        .map(|i| {
            serde_json::json!({
                "window": w, "rule": "slouching",
                "start": format!("{day}T{:02}:{:02}:10+08:00", 9 + i / 60, i % 60),
                "end": format!("{day}T{:02}:{:02}:40+08:00", 9 + i / 60, i % 60),
                "duration_s": 30.0, "confidence": 0.8, "closed_by": "recovered", "values": {}
            })
        })
        .collect();
    serde_json::json!({ "minutes": minutes, "events": events }).to_string()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let urls: Vec<String> = arg("--urls", "http://127.0.0.1:8800").split(',').map(str::to_string).collect();
    let tokens: Vec<String> = std::fs::read_to_string(arg("--tokens", "tokens.txt"))
        .expect("--tokens FILE: one box token per line")
        .lines()
        .map(str::to_string)
        .collect();
    let day = arg("--day", "2026-12-01");
    let windows: u32 = arg("--windows", "10").parse().unwrap();
    let minutes: u32 = arg("--minutes", "480").parse().unwrap();
    let per: u32 = arg("--batch", "60").parse().unwrap();
    let concurrency: usize = arg("--concurrency", "8").parse().unwrap();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();

    // Every (box, window, chunk) is one request; `concurrency` run at once.
    let mut jobs = Vec::new();
    for (b, t) in tokens.iter().enumerate() {
        for w in 0..windows {
            for from in (0..minutes).step_by(per as usize) {
                jobs.push((b, t.clone(), format!("w{w:02}"), from, (from + per).min(minutes)));
            }
        }
    }
    let total_rows: u64 = jobs.iter().map(|j| u64::from(j.4 - j.3)).sum();
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (jobs, client, urls, day) = (jobs.clone(), client.clone(), urls.clone(), day.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = worker;
            loop {
                let Some((_, token, w, from, to)) = jobs.lock().unwrap().pop() else { break };
                let body = batch(&day, &w, from, to);
                let url = &urls[n % urls.len()];
                n += 1;
                let t = Instant::now();
                let r = client
                    .post(format!("{url}/api/v1/ingest"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await
                    .expect("the hub answers");
                assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
                lat.push(t.elapsed().as_secs_f64());
                if n % 20 == 0 {
                    let beat = serde_json::json!({"boot_unix": 100.0, "version": "load", "windows": [
                        {"id": w, "name": w, "source_up": true, "frames_in": 1, "frames_analysed": 1, "frames_stale": 0, "errors": 0}
                    ]});
                    let _ = client.post(format!("{url}/api/v1/heartbeat")).bearer_auth(&token).json(&beat).send().await;
                }
            }
            lat
        }));
    }
    let mut lat: Vec<f64> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize] * 1000.0;
    println!(
        "boxes {} windows/box {windows} minute rows {total_rows} in {secs:.1} s: {:.0} rows/s; {} requests of {per} minutes, p50 {:.0} ms, p99 {:.0} ms",
        tokens.len(),
        total_rows as f64 / secs,
        lat.len(),
        q(0.5),
        q(0.99)
    );
}
