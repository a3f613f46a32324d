//! The agent publishes to the local Mosquitto (127.0.0.1:1883, started on
//! every development machine and in CI): event starts and ends, retained
//! rule states, retained availability with a last will. The hub publishes
//! its health alerts. And a broker that is not there never stops analysis,
//! and shows in `/status` and `/metrics`.

mod common;
mod hub_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("liyitest-{tag}-{}-{nanos}", std::process::id())
}

/// Subscribes to `prefix/#` and collects what arrives.
struct Subscriber {
    client: Client,
    got: Arc<Mutex<Vec<(String, String, bool)>>>,
}

impl Subscriber {
    fn start(prefix: &str) -> Subscriber {
        let (client, mut conn) = Client::new(MqttOptions::new(unique("sub"), "127.0.0.1", 1883), 100);
        client.subscribe(format!("{prefix}/#"), QoS::AtLeastOnce).unwrap();
        let got: Arc<Mutex<Vec<(String, String, bool)>>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&got);
        std::thread::spawn(move || {
            for ev in conn.iter() {
                match ev {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = tx.send(());
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        sink.lock().unwrap().push((p.topic.clone(), String::from_utf8_lossy(&p.payload).into_owned(), p.retain));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30)).expect("the local Mosquitto (127.0.0.1:1883) answers the subscription");
        Subscriber { client, got }
    }

    fn messages(&self) -> Vec<(String, String, bool)> {
        self.got.lock().unwrap().clone()
    }

    /// Clears the retained messages this test left on the broker.
    fn clean(&self) {
        let mut topics: Vec<String> = self.messages().into_iter().map(|(t, _, _)| t).collect();
        topics.sort();
        topics.dedup();
        for t in topics {
            let _ = self.client.publish(t, QoS::AtLeastOnce, true, Vec::new());
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.client.disconnect();
    }
}

fn demo_dir(mqtt: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = common::demo_config(dir.path(), &format!("[mqtt]\n{mqtt}"));
    (dir, config)
}

#[test]
fn agent_publishes_events_states_and_availability() {
    let prefix = unique("agent");
    let sub = Subscriber::start(&prefix);
    let (dir, config) = demo_dir(&format!("url = \"mqtt://127.0.0.1:1883\"\nprefix = \"{prefix}\"\nbox = \"box7\"\n"));
    // The demo's second window is empty: an absence starts after its 60 s
    // tolerance and is closed at the end of the run.
    let out = common::liyi()
        .args(["run", "--loop-files", "--seconds", "75", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(dir.path().join("edge.sqlite"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("0 dropped"), "{stdout}");
    let hall = "演示大厅 Demo hall";
    let available = format!("{prefix}/box7/available");
    common::wait_for(Duration::from_secs(30), || sub.messages().iter().any(|(t, p, _)| *t == available && p == "offline").then_some(()))
        .expect("the box says offline when it stops");
    let msgs = sub.messages();
    let on = |topic: &str| -> Vec<(String, bool)> { msgs.iter().filter(|(t, _, _)| t == topic).map(|(_, p, r)| (p.clone(), *r)).collect() };
    let avail = on(&available);
    assert_eq!(avail.first().map(|(p, _)| p.as_str()), Some("online"), "{msgs:?}");
    assert_eq!(avail.last().map(|(p, _)| p.as_str()), Some("offline"), "{msgs:?}");

    let events: Vec<serde_json::Value> =
        on(&format!("{prefix}/{hall}/w02/events")).iter().map(|(p, _)| serde_json::from_str(p).unwrap()).collect();
    let start = events.iter().find(|e| e["type"] == "start" && e["rule"] == "absent").expect("the absence's start is published");
    let end = events.iter().find(|e| e["type"] == "end" && e["rule"] == "absent").expect("the absence's end is published");
    assert_eq!(start["start"], end["start"], "start and end name the same event");
    assert!(end["duration_s"].as_f64().unwrap() > 0.0 && end["start"].as_str().unwrap().ends_with('Z'), "{end}");

    let states = on(&format!("{prefix}/{hall}/w02/state"));
    let states: Vec<serde_json::Value> = states.iter().map(|(p, _)| serde_json::from_str(p).unwrap()).collect();
    assert!(states.iter().any(|s| s["rules"]["absent"]["violating"] == true), "{states:?}");
    assert_eq!(states.last().unwrap()["rules"]["absent"]["violating"], false, "all clear when the box stops");
    assert!(!on(&format!("{prefix}/{hall}/w01/state")).is_empty(), "every window's state is published");

    // Codes and numbers only: no window display names, no pixels.
    for (topic, payload, _) in &msgs {
        assert!(!payload.contains("窗口") && !payload.contains("data:") && payload.len() < 4096, "{topic}: {payload}");
    }
    // What the broker kept for a dashboard that subscribes later: the
    // availability and each window's last state, retained.
    let late = Subscriber::start(&prefix);
    let kept = common::wait_for(Duration::from_secs(30), || {
        let m = late.messages();
        (m.iter().any(|(t, _, r)| *t == available && *r) && m.iter().filter(|(t, _, r)| t.ends_with("/state") && *r).count() >= 2)
            .then_some(m)
    })
    .expect("availability and states are retained");
    assert!(kept.iter().any(|(t, p, r)| *t == available && p == "offline" && *r), "{kept:?}");
    assert!(kept.iter().all(|(t, _, _)| !t.ends_with("/events")), "events are not retained: {kept:?}");
    late.clean();
    sub.clean();
}

#[test]
fn an_unreachable_broker_never_stops_analysis() {
    let port = common::free_port();
    let (dir, config) = demo_dir(&format!("url = \"mqtt://127.0.0.1:{port}\"\nqueue = 2\n"));
    let store = dir.path().join("edge.sqlite");
    let mut agent = common::RunningAgent::looping(&config, &store, Some(8));
    // Analysis goes on with the broker away, and /status and /metrics say
    // the broker is not connected (generous caps, not asserted).
    let status = common::wait_for(Duration::from_secs(120), || {
        let s: serde_json::Value = serde_json::from_str(&agent.get("/status")).ok()?;
        let analysed: u64 = s["windows"].as_array()?.iter().filter_map(|w| w["frames_analysed"].as_u64()).sum();
        (analysed > 0).then_some(s)
    })
    .expect("frames are analysed with the broker away");
    assert_eq!(status["mqtt"]["connected"], false, "{}", status["mqtt"]);
    assert_eq!(status["mqtt"]["connects"], 0, "{}", status["mqtt"]);
    let metrics = agent.get("/metrics");
    assert!(metrics.contains("\nliyi_mqtt_connected 0\n") && metrics.contains("\nliyi_mqtt_messages_dropped_total "), "{metrics}");
    let exit = common::wait_for(Duration::from_secs(120), || agent.child.try_wait().unwrap()).expect("the run ends");
    assert!(exit.success(), "{exit:?}");
}

// The hub publishes its health alerts on `<prefix>/<hall>/alerts`: here a
// box whose store fails, and its recovery.
on_both_engines!(hub_publishes_its_alerts, hub_publishes_its_alerts_on_postgres, hub_publishes_its_alerts_on);

fn hub_publishes_its_alerts_on(engine: hub_support::Engine) {
    let prefix = unique("hub");
    let sub = Subscriber::start(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let mut hub = hub_support::HubProc::configure_on(
        dir.path(),
        &format!("[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\nprefix = \"{prefix}\"\n"),
        engine,
    );
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.start();
    let base = hub.url.clone();
    let beat = |ok: bool| {
        serde_json::json!({"boot_unix": 1.0e9, "version": "t", "windows": [],
            "store": {"ok": ok, "unsaved": if ok { 0 } else { 7 }, "write_failures": 3, "failing_since_unix": if ok { None } else { Some(1.0e9) },
                      "last_error": if ok { None } else { Some("database or disk is full") }}})
        .to_string()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let topic = format!("{prefix}/甲大厅/alerts");
    let alerts = |kind: &str| -> Vec<serde_json::Value> {
        sub.messages()
            .into_iter()
            .filter(|(t, _, _)| *t == topic)
            .filter_map(|(_, p, _)| serde_json::from_str::<serde_json::Value>(&p).ok())
            .filter(|a| a["kind"] == kind)
            .collect()
    };
    let (code, body) = rt.block_on(hub_support::post_json(&base, "/api/v1/heartbeat", Some(&token), beat(false)));
    assert_eq!(code, 200, "{body}");
    // The health job runs every 5 s (a generous cap, not asserted).
    let failing =
        common::wait_for(Duration::from_secs(60), || alerts("box_store_failing").into_iter().next()).expect("the alert is published");
    assert_eq!((failing["box"].as_str(), failing["hall"].as_str()), (Some("box-a"), Some("甲大厅")), "{failing}");
    assert!(failing["ts"].as_str().is_some_and(|t| t.ends_with('Z')), "{failing}");
    let (code, _) = rt.block_on(hub_support::post_json(&base, "/api/v1/heartbeat", Some(&token), beat(true)));
    assert_eq!(code, 200);
    common::wait_for(Duration::from_secs(60), || alerts("box_store_ok").into_iter().next()).expect("the recovery is published");
    // Each once, though the health job ran several times: once both are
    // delivered (no webhook here), none can be published again.
    let db = rt.block_on(hub.db());
    common::wait_for(Duration::from_secs(60), || rt.block_on(db.undelivered_alerts()).ok().filter(|a| a.is_empty()))
        .expect("the alerts are delivered");
    rt.block_on(db.close());
    assert_eq!(alerts("box_store_failing").len(), 1, "{:?}", sub.messages());
    assert_eq!(alerts("box_store_ok").len(), 1);
    hub.kill();
    sub.clean();
}

#[test]
fn bad_mqtt_settings_name_the_field() {
    for (section, needle) in [
        ("url = \"http://x\"\n", "mqtt.url"),
        ("url = \"mqtt://h\"\nprefix = \"a/b\"\n", "mqtt.prefix"),
        ("url = \"mqtt://h\"\nqueue = 0\n", "mqtt.queue"),
        ("url = \"mqtt://h\"\npassword_file = \"nope\"\n", "mqtt.password_file"),
        ("url = \"mqtt://h\"\ncolour = 1\n", "colour"),
    ] {
        let (_dir, config) = demo_dir(section);
        let out = common::liyi().arg("check-config").arg(&config).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && text.contains(needle), "{section}: {text}");
    }
}
