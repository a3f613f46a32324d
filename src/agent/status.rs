//! What the agent reports about itself: JSON for `/status`, Prometheus text
//! for `/metrics`, and a small page for people (zh-CN first, English with
//! `?lang=en`). Numbers and states only, never pixels.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::{Agent, LATENCY_BUCKETS};
use crate::i18n::Lang;
use crate::sync::lock;

#[derive(Debug, Serialize)]
pub struct Status {
    pub uptime_s: f64,
    /// Whether the store takes the rows: what waits in memory, what failed.
    pub store: crate::wire::StoreBeat,
    /// The MQTT publisher's counters (`[mqtt]` only).
    pub mqtt: Option<crate::mqtt::MqttStats>,
    /// The hub outbox as of the last heartbeat (`[hub]` only): rows
    /// waiting, and `unsent`, rows the hub refused for good or that could
    /// not be read (they stay in the box's store).
    pub outbox: Option<crate::store::OutboxStats>,
    pub windows: Vec<WindowStatus>,
}

#[derive(Debug, Serialize)]
pub struct WindowStatus {
    pub id: String,
    pub name: String,
    pub source: String,
    pub source_up: bool,
    pub frames_in: u64,
    pub frames_analysed: u64,
    pub frames_stale: u64,
    /// Packets dropped undecoded, up to the next keyframe, because the
    /// workers had not taken the last frame (an overloaded box).
    pub packets_skipped: u64,
    /// Frames judged without inference (nothing changed in the zones).
    pub frames_gated: u64,
    /// Inferred frames where only the followed clerk's pose ran (no person
    /// detector).
    pub frames_followed: u64,
    /// Frames no clip could need (every rule idle): no face search.
    pub clip_frames_skipped: u64,
    /// Clip frames searched for faces whole, in their changed parts only,
    /// or given the last search's faces (nothing had changed).
    pub face_searches_whole: u64,
    pub face_searches_part: u64,
    pub face_reuses: u64,
    /// Written clip frames in which the last look before storing found and
    /// filled a face, and those it filled whole.
    pub clip_frames_refilled: u64,
    pub clip_frames_refilled_whole: u64,
    pub reconnects: u64,
    pub errors: u64,
    pub fps_in: f64,
    pub fps_analysed: f64,
    /// The share of the target analysis rate this window does not get
    /// (0 on target, 1 when nothing is analysed); `None` before analysis
    /// starts. With more windows than the CPU can serve, every window falls
    /// short alike: workers take windows in turn.
    pub shortfall: Option<f64>,
    pub mean_inference_ms: Option<f64>,
    pub last_frame_age_s: Option<f64>,
    pub last_error: Option<String>,
    /// Rule code → `idle` / `pending` / `active` / `clearing`.
    pub rules: Vec<(String, String)>,
    /// Pending rules → seconds left before they become violations.
    pub countdowns: Vec<(String, f64)>,
    /// The clerk's last attire verdict (probability the badge / uniform is
    /// worn), when `[attire]` is on and the chest was seen.
    pub badge: Option<f32>,
    pub uniform: Option<f32>,
    /// What the rules saw in the last analysed frame: presence, posture,
    /// angles, legs, citizen (numbers and states only).
    pub observation: Option<crate::rules::Observation>,
    /// The clerk went out of sight in place, without rising or walking off
    /// (a head lowered behind a monitor): absence is unknown for now.
    pub clerk_out_of_sight: bool,
    /// The clerk's baseline (pixels) and what weakens the posture rules at
    /// this placement.
    pub baseline: crate::rules::baseline::BaselineStatus,
}

impl Agent {
    pub fn status(&self) -> Status {
        let uptime = self.started.elapsed().as_secs_f64();
        let windows = self
            .windows
            .iter()
            .map(|w| {
                let s = &w.stats;
                let (fin, fout) = (s.frames_in.load(Ordering::Relaxed), s.frames_analysed.load(Ordering::Relaxed));
                let (phases, countdowns, baseline, clerk_out_of_sight) = {
                    let r = lock(&w.rules);
                    (r.phases(), r.countdowns(), r.baseline_status(), r.clerk_out_of_sight())
                };
                let observation = lock(&w.shown).last_observation.clone();
                WindowStatus {
                    id: w.window.id.clone(),
                    name: w.window.name.clone(),
                    source: w.window.source.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                    source_up: s.source_up.load(Ordering::Relaxed),
                    frames_in: fin,
                    frames_analysed: fout,
                    frames_stale: w.stale(),
                    packets_skipped: s.packets_skipped.load(Ordering::Relaxed),
                    frames_gated: s.frames_gated.load(Ordering::Relaxed),
                    frames_followed: s.frames_followed.load(Ordering::Relaxed),
                    clip_frames_skipped: s.clip_frames_skipped.load(Ordering::Relaxed),
                    face_searches_whole: s.face_searches_whole.load(Ordering::Relaxed),
                    face_searches_part: s.face_searches_part.load(Ordering::Relaxed),
                    face_reuses: s.face_reuses.load(Ordering::Relaxed),
                    clip_frames_refilled: s.clip_frames_refilled.load(Ordering::Relaxed),
                    clip_frames_refilled_whole: s.clip_frames_refilled_whole.load(Ordering::Relaxed),
                    reconnects: s.reconnects.load(Ordering::Relaxed),
                    errors: s.errors.load(Ordering::Relaxed),
                    fps_in: fin as f64 / uptime.max(1e-3),
                    fps_analysed: fout as f64 / uptime.max(1e-3),
                    shortfall: self.target_fps.get().filter(|t| **t > 0.0).map(|t| shortfall(fout as f64 / uptime.max(1e-3), *t)),
                    mean_inference_ms: {
                        let ran = fout.saturating_sub(s.frames_gated.load(Ordering::Relaxed));
                        (ran > 0).then(|| s.inference_us.load(Ordering::Relaxed) as f64 / 1000.0 / ran as f64)
                    },
                    last_frame_age_s: lock(&s.last_frame).map(|t| t.elapsed().as_secs_f64()),
                    last_error: lock(&s.last_error).clone(),
                    rules: phases.into_iter().map(|(r, p)| (r.as_str().to_string(), p.to_string())).collect(),
                    countdowns: countdowns.into_iter().map(|(r, s)| (r.as_str().to_string(), (s * 10.0).round() / 10.0)).collect(),
                    badge: observation.as_ref().and_then(|o| o.badge),
                    uniform: observation.as_ref().and_then(|o| o.uniform),
                    observation,
                    clerk_out_of_sight,
                    baseline,
                }
            })
            .collect();
        Status {
            uptime_s: uptime,
            store: self.store.snapshot(),
            mqtt: self.mqtt.get().map(|m| m.stats()),
            outbox: *lock(&self.outbox),
            windows,
        }
    }

    /// Prometheus text exposition format.
    pub fn metrics_text(&self) -> String {
        let st = self.status();
        let mut t = String::new();
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, f64)>| {
            let _ = writeln!(t, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in rows {
                if labels.is_empty() {
                    let _ = writeln!(t, "{name} {v}");
                } else {
                    let _ = writeln!(t, "{name}{{{labels}}} {v}");
                }
            }
        };
        let per = |f: &dyn Fn(&WindowStatus) -> f64| st.windows.iter().map(|w| (format!("window=\"{}\"", w.id), f(w))).collect::<Vec<_>>();
        family("liyi_frames_in_total", "counter", "Frames taken from the window's source.", per(&|w| w.frames_in as f64));
        family("liyi_frames_analysed_total", "counter", "Frames run through pose and rules.", per(&|w| w.frames_analysed as f64));
        family("liyi_frames_stale_total", "counter", "Frames replaced before a worker took them.", per(&|w| w.frames_stale as f64));
        family(
            "liyi_packets_skipped_total",
            "counter",
            "Packets dropped undecoded up to the next keyframe because the workers were behind.",
            per(&|w| w.packets_skipped as f64),
        );
        family(
            "liyi_frames_gated_total",
            "counter",
            "Frames judged without inference because the zones had not changed.",
            per(&|w| w.frames_gated as f64),
        );
        family(
            "liyi_frames_followed_total",
            "counter",
            "Inferred frames where only the followed clerk's pose ran, without the person detector.",
            per(&|w| w.frames_followed as f64),
        );
        family(
            "liyi_clip_frames_skipped_total",
            "counter",
            "Analysed frames no clip could need (every rule idle): no face search.",
            per(&|w| w.clip_frames_skipped as f64),
        );
        family(
            "liyi_face_searches_total",
            "counter",
            "Clip frames searched for faces: the whole frame, only its changed parts, or reused (nothing changed).",
            st.windows
                .iter()
                .flat_map(|w| {
                    [("whole", w.face_searches_whole), ("part", w.face_searches_part), ("reused", w.face_reuses)]
                        .map(|(k, v)| (format!("window=\"{}\",search=\"{k}\"", w.id), v as f64))
                })
                .collect(),
        );
        family(
            "liyi_clip_last_look_total",
            "counter",
            "Written clip frames in which the last look before storing found and filled a face, or which it filled whole.",
            st.windows
                .iter()
                .flat_map(|w| {
                    [("filled", w.clip_frames_refilled), ("whole", w.clip_frames_refilled_whole)]
                        .map(|(k, v)| (format!("window=\"{}\",result=\"{k}\"", w.id), v as f64))
                })
                .collect(),
        );
        family("liyi_source_reconnects_total", "counter", "Times the source was reopened.", per(&|w| w.reconnects as f64));
        family("liyi_source_errors_total", "counter", "Source open or read failures.", per(&|w| w.errors as f64));
        family("liyi_source_up", "gauge", "1 while the source is open.", per(&|w| f64::from(u8::from(w.source_up))));
        family("liyi_fps_in", "gauge", "Mean frames per second taken since start.", per(&|w| w.fps_in));
        family("liyi_fps_analysed", "gauge", "Mean frames per second analysed since start.", per(&|w| w.fps_analysed));
        family(
            "liyi_analysis_shortfall_ratio",
            "gauge",
            "Share of the target analysis rate not reached since start (0: on target).",
            st.windows.iter().filter_map(|w| Some((format!("window=\"{}\"", w.id), w.shortfall?))).collect(),
        );
        family(
            "liyi_last_frame_age_seconds",
            "gauge",
            "Seconds since the last frame (-1: none yet).",
            per(&|w| w.last_frame_age_s.unwrap_or(-1.0)),
        );
        family(
            "liyi_baseline_ready",
            "gauge",
            "1 once the clerk's posture baseline is learnt.",
            per(&|w| f64::from(u8::from(w.baseline.ready))),
        );
        family("liyi_baseline_samples", "gauge", "Samples the clerk's baseline rests on.", per(&|w| w.baseline.samples as f64));
        // Two families, not one with an "all"/"hidden" label: a sum over
        // one family's series would count hidden visits twice.
        family(
            "liyi_recent_visits",
            "gauge",
            "The window's recent visits counted for the placement warning (the last 200 to 400).",
            per(&|w| f64::from(w.baseline.visits.visits)),
        );
        family(
            "liyi_recent_visits_hidden",
            "gauge",
            "Of the recent visits, those in which a visitor hid the clerk for most of the visit.",
            per(&|w| f64::from(w.baseline.visits.hidden)),
        );
        let rules = st
            .windows
            .iter()
            .flat_map(|w| w.rules.iter().map(move |(r, p)| (format!("window=\"{}\",rule=\"{r}\",phase=\"{p}\"", w.id), 1.0)))
            .collect();
        family("liyi_rule_state", "gauge", "Each rule's current phase (idle, pending, active, clearing).", rules);
        let store = &st.store;
        family("liyi_store_ok", "gauge", "1 while the store takes every row.", vec![(String::new(), f64::from(u8::from(store.ok)))]);
        family("liyi_store_unsaved_rows", "gauge", "Rows waiting in memory for the store.", vec![(String::new(), store.unsaved as f64)]);
        family(
            "liyi_store_write_failures_total",
            "counter",
            "Write attempts the store refused.",
            vec![(String::new(), store.write_failures as f64)],
        );
        family(
            "liyi_store_rows_rejected_total",
            "counter",
            "Rows dropped as malformed (logged).",
            vec![(String::new(), store.rows_rejected as f64)],
        );
        family(
            "liyi_store_clips_lost_total",
            "counter",
            "Clips whose files could not be written.",
            vec![(String::new(), store.clips_lost as f64)],
        );
        family(
            "liyi_store_failing_seconds",
            "gauge",
            "Seconds the store has been refusing rows (0 when it takes them).",
            vec![(String::new(), store.failing_since_unix.map_or(0.0, |t| (crate::base::clock::now_unix() - t).max(0.0)))],
        );
        if let Some(o) = st.outbox {
            let kinds = [("minute", o.minutes), ("event", o.events), ("clip", o.clips)];
            family(
                "liyi_outbox_rows",
                "gauge",
                "Rows waiting for the hub, by kind (as of the last heartbeat).",
                kinds.iter().map(|(k, n)| (format!("kind=\"{k}\""), *n as f64)).collect(),
            );
            family(
                "liyi_outbox_unsent_total",
                "counter",
                "Rows that left the outbox without reaching the hub: refused by it for good, unreadable, or dropped by the outbox bounds (kept in the box's store).",
                vec![(String::new(), o.unsent.unwrap_or(0) as f64)],
            );
        }
        if let Some(m) = st.mqtt {
            let one = |v: f64| vec![(String::new(), v)];
            family("liyi_mqtt_connected", "gauge", "1 while the MQTT broker is connected.", one(f64::from(u8::from(m.connected))));
            family("liyi_mqtt_connects_total", "counter", "Connections made to the MQTT broker.", one(m.connects as f64));
            family("liyi_mqtt_messages_queued_total", "counter", "MQTT messages queued for the broker.", one(m.queued as f64));
            family("liyi_mqtt_messages_dropped_total", "counter", "MQTT messages dropped: the queue was full.", one(m.dropped as f64));
        }
        let _ = writeln!(t, "# HELP liyi_inference_seconds Pose inference time per frame.\n# TYPE liyi_inference_seconds histogram");
        for w in &self.windows {
            let mut cumulative = 0;
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += w.stats.latency_buckets[i].load(Ordering::Relaxed);
                let le = if b.is_infinite() { "+Inf".to_string() } else { b.to_string() };
                let _ = writeln!(t, "liyi_inference_seconds_bucket{{window=\"{}\",le=\"{le}\"}} {cumulative}", w.window.id);
            }
            let _ = writeln!(
                t,
                "liyi_inference_seconds_sum{{window=\"{}\"}} {}",
                w.window.id,
                w.stats.inference_us.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(t, "liyi_inference_seconds_count{{window=\"{}\"}} {cumulative}", w.window.id);
        }
        t
    }
}

/// The share of `target` frames/s that `analysed` misses, within 0..=1.
fn shortfall(analysed: f64, target: f64) -> f64 {
    ((1.0 - analysed / target) * 1000.0).round().clamp(0.0, 1000.0) / 1000.0
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The human page: a table of windows, and a warning while the store
/// refuses rows. No preview images. Words from the translation tables.
pub fn page(status: &Status, english: bool) -> String {
    let l = if english { Lang::En } else { Lang::Zh };
    let mut rows = String::new();
    for w in &status.windows {
        let rules: Vec<String> = w.rules.iter().filter(|(_, p)| p != "idle").map(|(r, p)| format!("{r}: {p}")).collect();
        let _ = write!(
            rows,
            "<tr><td><a href=\"/windows/{}/editor\">{}</a> <small>{}</small></td><td>{} <b class=\"{}\">{}</b></td><td>{:.1} / {:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&w.id),
            escape(&w.name),
            escape(&w.id),
            escape(&w.source),
            if w.source_up { "up" } else { "down" },
            if w.source_up { l.t("edge.up") } else { l.t("edge.down") },
            w.fps_in,
            w.fps_analysed,
            w.mean_inference_ms.map_or("—".into(), |v| format!("{v:.0} ms")),
            w.last_frame_age_s.map_or("—".into(), |v| format!("{v:.1} s")),
            if rules.is_empty() { "—".into() } else { escape(&rules.join(", ")) },
            w.last_error.as_deref().map_or("—".into(), escape),
        );
    }
    let store = match (&status.store.failing_since_unix, status.store.ok) {
        (Some(since), false) => {
            let since = chrono::DateTime::from_timestamp(*since as i64, 0)
                .map_or_else(|| "?".to_string(), |t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
            let text = l.f(
                "edge.store_failing",
                &[
                    ("since", since),
                    ("error", status.store.last_error.clone().unwrap_or_default()),
                    ("unsaved", status.store.unsaved.to_string()),
                ],
            );
            format!("<p class=\"down\" id=\"store-failing\">{}</p>", escape(&text))
        }
        _ => String::new(),
    };
    let unsent = match status.outbox {
        Some(crate::store::OutboxStats { unsent: Some(n), .. }) if n > 0 => {
            let text = l.f("edge.unsent", &[("n", n.to_string())]);
            format!("<p class=\"down\" id=\"unsent\">{}</p>", escape(&text))
        }
        _ => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\"><title>{}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}}.up{{color:#080}}.down{{color:#c00}}</style></head>\
         <body><h1>{}</h1>{store}{unsent}<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{rows}</table>\
         <p><a href=\"/status\">/status</a> · <a href=\"/metrics\">/metrics</a> · <a href=\"?lang={}\">{}</a></p></body></html>",
        l.code(),
        l.t("edge.title"),
        l.t("edge.title"),
        l.t("edge.window"),
        l.t("edge.source"),
        l.t("edge.fps"),
        l.t("edge.inference"),
        l.t("edge.last_frame"),
        l.t("edge.rules"),
        l.t("edge.error"),
        if english { "zh" } else { "en" },
        if english { "中文" } else { "English" },
    )
}

#[cfg(test)]
mod tests {
    use super::shortfall;

    #[test]
    fn shortfall_is_the_missed_share_of_the_target() {
        assert_eq!(shortfall(2.0, 2.0), 0.0);
        assert_eq!(shortfall(2.4, 2.0), 0.0, "ahead of target is not negative");
        assert_eq!(shortfall(0.8, 2.0), 0.6);
        assert_eq!(shortfall(0.0, 2.0), 1.0);
    }
}
