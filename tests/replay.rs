//! `liyi replay` and `liyi check-config`, driven as a user would: simulated
//! keypoint traces on disk, a config file, the real binary.

mod common;

use liyi::sim::evaluate::config_text;
use liyi::sim::{Scenario, SimConfig, simulate};
use predicates::prelude::*;
use serde_json::Value;

fn write_trace(dir: &std::path::Path, scenario: &str) -> (std::path::PathBuf, std::path::PathBuf, liyi::sim::Simulation) {
    let sc = Scenario::library().into_iter().find(|s| s.name == scenario).unwrap();
    let cfg = SimConfig::default();
    let sim = simulate(&sc, &cfg);
    let trace = dir.join(format!("{scenario}.jsonl"));
    let frames: Vec<_> = sim.frames.iter().map(|f| f.trace.clone()).collect();
    liyi::trace::write_frames(&mut std::fs::File::create(&trace).unwrap(), &frames).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(&config, config_text(&sim, &cfg.camera, &cfg.window)).unwrap();
    (trace, config, sim)
}

#[test]
fn replay_turns_simulated_traces_into_the_right_events() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["mixed_day", "absent_and_back", "greet_violation", "decoys_only"] {
        let (trace, config, sim) = write_trace(dir.path(), scenario);
        let out = common::liyi().args(["replay", "--json", "--config"]).arg(&config).arg(&trace).assert().success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        let events: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("stdout is events only")).collect();
        for e in &events {
            for key in ["window", "rule", "start", "end", "duration_s", "confidence", "values"] {
                assert!(e.get(key).is_some(), "{scenario}: event lacks {key}: {e}");
            }
        }
        let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let slack = chrono::Duration::seconds(5);
        for truth in &sim.truth_events {
            let found = events
                .iter()
                .any(|e| e["rule"] == truth.rule.as_str() && t(&e["start"]) - slack < truth.end && truth.start - slack < t(&e["end"]));
            assert!(found, "{scenario}: no event for {truth:?}\n{stdout}");
        }
        assert_eq!(events.len(), sim.truth_events.len(), "{scenario}: extra events\n{stdout}");
        assert!(stderr.contains("replayed") && stderr.contains("compliance rate"), "{stderr}");
    }
}

#[test]
fn replay_without_json_prints_readable_events_and_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, config, _) = write_trace(dir.path(), "absent_long");
    let minutes = dir.path().join("minutes.jsonl");
    common::liyi()
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&trace)
        .arg("--minutes")
        .arg(&minutes)
        .assert()
        .success()
        .stdout(predicate::str::contains("absent").and(predicate::str::contains("离岗")));
    let rows: Vec<Value> = std::fs::read_to_string(&minutes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(rows.len() >= 12);
    let absent: f64 = rows.iter().map(|r| r["rules"]["absent"]["violation_s"].as_f64().unwrap()).sum();
    assert!((absent - 300.0).abs() < 15.0, "{absent}");
    for r in &rows {
        for key in ["observed_s", "in_service_s", "staffed_s", "compliant_s", "unknown_s"] {
            assert!(r[key].is_number(), "{key}");
        }
    }
}

#[test]
fn replay_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, config, _) = write_trace(dir.path(), "slouch_trunk");
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"ts\": \"yesterday\"}";
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    common::liyi()
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.jsonl:3:").and(predicate::str::contains("not a trace frame")));
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, text.replace("\"window\":\"W01\"", "\"window\":\"W99\"")).unwrap();
    common::liyi()
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&other)
        .assert()
        .failure()
        .stderr(predicate::str::contains("other.jsonl:1:").and(predicate::str::contains("\"W99\" is not in the config")));
}

#[test]
fn check_config_accepts_the_example_and_rejects_mistakes() {
    common::liyi()
        .args(["check-config"])
        .arg(common::repo().join("config/example.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("ok").and(predicate::str::contains("w01")));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(common::repo().join("config/example.toml"))
        .unwrap()
        .replace("\"13:30-17:30\"]", "\"13:30-17:70\"]")
        .replace("Asia/Shanghai", "China/Beijing");
    std::fs::write(&bad, text).unwrap();
    common::liyi().arg("check-config").arg(&bad).assert().failure().stderr(
        predicate::str::contains("bad.toml:5:12: timezone")
            .and(predicate::str::contains("window[0].hours[1]"))
            .and(predicate::str::contains("Fix:"))
            .and(predicate::str::contains("2 problem(s)")),
    );
}

#[test]
fn replay_into_a_store_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, config, sim) = write_trace(dir.path(), "mixed_day");
    let store = dir.path().join("edge.sqlite");
    for expected in ["stored 5 new event(s)", "stored 0 new event(s)"] {
        common::liyi()
            .args(["replay", "--config"])
            .arg(&config)
            .arg(&trace)
            .arg("--store")
            .arg(&store)
            .assert()
            .success()
            .stderr(predicate::str::contains(expected));
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (events, minutes) = rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.unwrap();
        (s.events(None).await.unwrap(), s.minutes(None).await.unwrap())
    });
    assert_eq!(events.len(), sim.truth_events.len());
    assert_eq!(minutes.len(), 20, "20 simulated minutes");
    assert!(minutes.iter().all(|m| m.window == "W01"));
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    common::liyi()
        .args(["replay", "--config"])
        .arg(&config)
        .arg(&trace)
        .arg("--store")
        .arg(&junk)
        .assert()
        .failure()
        .stderr(predicate::str::contains("junk.sqlite").and(predicate::str::contains("not a SQLite database")));
}
