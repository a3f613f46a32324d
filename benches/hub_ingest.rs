//! Hub ingest rate: minute rows per second into the hub's SQLite store,
//! directly through the data layer and end to end over HTTP on 127.0.0.1
//! (token check, JSON parsing, validation, one transaction per batch).
//!
//! `cargo bench --bench hub_ingest`; criterion prints rows/s ("elem/s").

use std::collections::BTreeMap;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liyi::hub::{Hub, HubDb};
use liyi::rules::metrics::RuleMinute;
use liyi::rules::{MinuteMetrics, RuleCode};
use liyi::wire::IngestBatch;

const BATCH: usize = 500;

fn batch(n: &mut i64) -> IngestBatch {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").unwrap();
    let minutes = (0..BATCH)
        .map(|i| {
            *n += 1;
            MinuteMetrics {
                window: format!("w{:02}", i % 16),
                minute: Some(base + chrono::Duration::minutes(*n)),
                observed_s: 60.0,
                in_service_s: 60.0,
                staffed_s: 58.0,
                compliant_s: 50.0,
                unknown_s: 2.0,
                rules: RuleCode::ALL.iter().map(|r| (*r, RuleMinute { violation_s: 2.0, events: 0 })).collect::<BTreeMap<_, _>>(),
            }
        })
        .collect();
    IngestBatch { minutes, events: vec![] }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("hub_ingest");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);

    let db = rt.block_on(HubDb::open(&dir.path().join("direct.sqlite"))).unwrap();
    rt.block_on(db.add_box("bench", "大厅", liyi::base::clock::now_unix())).unwrap();
    let mut n = 0;
    g.bench_function("store_500_minutes", |b| {
        b.iter(|| rt.block_on(db.ingest("bench", &batch(&mut n), liyi::base::clock::now_unix())).unwrap())
    });

    let cfg =
        liyi::hub::config::parse(&format!("data_dir = \"{}\"\n", dir.path().join("http").display()), &dir.path().join("hub.toml")).unwrap();
    let hub: Arc<Hub> = rt.block_on(Hub::open(cfg, Err("no face model in the bench".into()), None)).unwrap();
    let token = rt.block_on(hub.db.add_box("bench", "大厅", hub.clock.now_unix())).unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/api/v1/ingest", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, liyi::hub::web::router(hub)).await.unwrap() });
    let client = reqwest::Client::new();
    let mut n = 0;
    g.bench_function("http_500_minutes", |b| {
        b.iter(|| {
            let body = serde_json::to_vec(&batch(&mut n)).unwrap();
            let r =
                rt.block_on(client.post(&url).bearer_auth(&token).header("content-type", "application/json").body(body).send()).unwrap();
            assert!(r.status().is_success());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
