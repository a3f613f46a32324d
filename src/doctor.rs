//! `liyi doctor`: checks the whole box and says what to fix, one line per
//! check. Every check is bounded in time (sources are opened in parallel,
//! each given 15 s), so the doctor finishes within a minute even when
//! cameras and the hub are unreachable.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub level: Level,
    pub what: String,
    pub detail: String,
    /// How to fix it (empty when fine).
    pub fix: String,
}

impl Check {
    pub(crate) fn ok(what: impl Into<String>, detail: impl Into<String>) -> Check {
        Check { level: Level::Ok, what: what.into(), detail: detail.into(), fix: String::new() }
    }
    pub(crate) fn warn(what: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { level: Level::Warn, what: what.into(), detail: detail.into(), fix: fix.into() }
    }
    pub(crate) fn fail(what: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { level: Level::Fail, what: what.into(), detail: detail.into(), fix: fix.into() }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tag = match self.level {
            Level::Ok => "ok  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        write!(f, "{tag} {}: {}", self.what, self.detail)?;
        if !self.fix.is_empty() {
            write!(f, ". Fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// ONNX Runtime: found, loaded, its version.
pub fn runtime(flag: Option<&Path>) -> (Check, Option<&'static crate::vision::runtime::Runtime>) {
    match crate::vision::runtime::init(flag) {
        Ok(rt) => {
            // The build string, else the versioned file the library links to.
            let file_version = std::fs::canonicalize(&rt.path)
                .ok()
                .and_then(|p| p.file_name()?.to_str()?.strip_prefix("libonnxruntime.so.").map(str::to_string));
            let version = rt
                .version()
                .map(str::to_string)
                .or(file_version)
                .unwrap_or_else(|| format!("version unknown ({})", rt.build_info.chars().take(60).collect::<String>()));
            (Check::ok("ONNX Runtime", format!("{version} ({}, found by {})", rt.path.display(), rt.found_by)), Some(rt))
        }
        Err(e) => (Check::fail("ONNX Runtime", e.to_string(), "run scripts/fetch-onnxruntime.sh, or pass --ort-lib"), None),
    }
}

/// Every shipped model: present, and its SHA-256 as the manifest says.
pub fn models(catalog: &crate::vision::catalog::Catalog) -> Vec<Check> {
    crate::vision::manifest::Manifest::built_in()
        .into_iter()
        .filter(|(_, m)| m.bundled)
        .map(|(_, m)| match catalog.resolve(&m.name, None) {
            Ok(f) => Check::ok(format!("model {}", m.name), format!("{} (sha256 {}…)", f.path.display(), &f.sha256[..12])),
            Err(e) => Check::fail(format!("model {}", m.name), e.to_string(), "restore models/ from the release or the repository"),
        })
        .collect()
}

/// The system clock and the hall's timezone.
pub fn clock(cfg: &Config) -> Vec<Check> {
    let now = chrono::Utc::now();
    let local = now.with_timezone(&cfg.timezone);
    let mut out = Vec::new();
    if now.timestamp() < 1_735_689_600 {
        out.push(Check::fail(
            "clock",
            format!("the system clock says {now}"),
            "set the clock (timedatectl set-ntp true); events and minutes are stamped with it",
        ));
    } else {
        out.push(Check::ok(
            "clock",
            format!("{} in {} (UTC {})", local.format("%Y-%m-%d %H:%M:%S %:z"), cfg.timezone.name(), now.format("%H:%M:%S")),
        ));
    }
    match std::process::Command::new("timedatectl").args(["show", "-p", "NTPSynchronized", "--value"]).output() {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "yes" => {
            out.push(Check::ok("clock sync", "NTP synchronised"))
        }
        Ok(o) if o.status.success() => out.push(Check::warn(
            "clock sync",
            "NTP is not synchronised",
            "sudo timedatectl set-ntp true; a drifting clock shifts service hours",
        )),
        _ => out.push(Check::warn("clock sync", "cannot tell (no timedatectl)", "make sure the box keeps time with NTP or chrony")),
    }
    out
}

/// Whether the edge store can be written: a probe file in its folder (the
/// folder is created as `liyi run` would), and the store file itself (and
/// its `-wal`/`-shm`) opened for writing when they exist.
pub fn store_writable(store: &Path) -> Check {
    let dir = data_dir(store);
    let fix = "make the store's folder writable by the agent's user (and free space), or point --store elsewhere";
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return Check::fail("store", format!("cannot create {}: {e}", dir.display()), fix);
    }
    let probe = dir.join(format!(".liyi-doctor-{}", std::process::id()));
    let written = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).and_then(|mut f| {
        use std::io::Write;
        f.write_all(b"probe")?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    if let Err(e) = written {
        return Check::fail("store", format!("cannot write in {}: {e}", dir.display()), fix);
    }
    for p in [store.to_path_buf(), PathBuf::from(format!("{}-wal", store.display())), PathBuf::from(format!("{}-shm", store.display()))] {
        if p.exists()
            && let Err(e) = std::fs::OpenOptions::new().write(true).open(&p)
        {
            return Check::fail("store", format!("cannot write {}: {e}", p.display()), fix);
        }
    }
    Check::ok("store", format!("{} is writable", store.display()))
}

/// Free space where the store and clips live, against the clips' quota.
pub fn disk(dir: &Path, quota_mb: f64) -> Check {
    let probe = std::iter::successors(Some(dir), |d| d.parent()).find(|d| d.exists()).unwrap_or(Path::new("/"));
    let Ok(c) = std::ffi::CString::new(probe.as_os_str().as_encoded_bytes()) else {
        return Check::warn("disk", format!("{}: odd path", probe.display()), "");
    };
    // SAFETY: statvfs fills the struct it is given; the path is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Check::warn("disk", format!("{}: {}", probe.display(), std::io::Error::last_os_error()), "");
    }
    let free_mb = st.f_bavail as f64 * st.f_frsize as f64 / 1e6;
    let detail = format!("{:.0} MB free at {}; clips may use up to {:.0} MB", free_mb, probe.display(), quota_mb);
    if free_mb < quota_mb {
        Check::fail("disk", detail, "free space or lower [clips] quota_mb: the store needs room beyond the clips")
    } else if free_mb < 2.0 * quota_mb {
        Check::warn("disk", detail, "little room beyond the clips' quota; free space or lower quota_mb")
    } else {
        Check::ok("disk", detail)
    }
}

/// Each window's source, opened in parallel, each within `limit`:
/// reachable, its resolution and frame rate.
pub fn sources(cfg: &Config, limit: Duration) -> Vec<Check> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut order = Vec::new();
    for w in &cfg.windows {
        let Some(spec) = w.source.clone() else { continue };
        order.push(w.id.clone());
        let (tx, id) = (tx.clone(), w.id.clone());
        std::thread::spawn(move || {
            let _ = tx.send((id, probe(&spec)));
        });
    }
    drop(tx);
    let deadline = Instant::now() + limit;
    let mut got = std::collections::HashMap::new();
    while got.len() < order.len() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((id, r)) => {
                got.insert(id, r);
            }
            Err(_) => break,
        }
    }
    order
        .into_iter()
        .map(|id| {
            let spec = cfg.window(&id).and_then(|w| w.source.as_ref()).map(|s| s.to_string()).unwrap_or_default();
            let what = format!("window {id} source");
            match got.remove(&id) {
                Some(Ok(d)) => Check::ok(what, format!("{spec}: {d}")),
                Some(Err(e)) => Check::fail(what, e, "check the address, the camera's power and network, and its user name and password"),
                None => Check::fail(
                    what,
                    format!("{spec}: no frame within {} s", limit.as_secs()),
                    "check that the camera streams (try `ffprobe` on the address)",
                ),
            }
        })
        .collect()
}

fn probe(spec: &crate::config::SourceSpec) -> Result<String, String> {
    let mut src =
        crate::capture::open(spec, crate::capture::CaptureOptions { fps: 30.0, ..Default::default() }).map_err(|e| e.to_string())?;
    let mut stamps = Vec::new();
    let mut size = (0, 0);
    while stamps.len() < 6 {
        match src.next_frame() {
            Ok(Some(f)) => {
                size = f.image.dimensions();
                stamps.push(f.ts);
            }
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    if stamps.is_empty() {
        return Err(format!("{spec}: opened, but gave no frame"));
    }
    let fps = (stamps.len() > 1)
        .then(|| (stamps.len() - 1) as f64 / ((*stamps.last().unwrap() - stamps[0]).num_milliseconds() as f64 / 1000.0).max(1e-3));
    Ok(format!("{}×{}{}", size.0, size.1, fps.map_or(String::new(), |f| format!(", {f:.1} fps"))))
}

/// The hub: reachable, and this box's token accepted.
pub fn hub(cfg: &Config) -> Option<Check> {
    let link = cfg.hub.as_ref()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    let url = format!("{}{}", link.url, crate::wire::WHOAMI_PATH);
    let result = rt.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let r = client.get(&url).bearer_auth(&link.token).send().await.map_err(|e| e.to_string())?;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        Ok::<_, String>((status, body))
    });
    Some(match result {
        Ok((s, body)) if s.is_success() => {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if v["box"] == link.box_id.as_str() {
                Check::ok("hub", format!("{} accepts box {} ({})", link.url, link.box_id, v["hall"].as_str().unwrap_or("")))
            } else {
                Check::fail(
                    "hub",
                    format!("{} knows this token as box {}, not {}", link.url, v["box"], link.box_id),
                    "set [hub] box to the id the token was issued for",
                )
            }
        }
        Ok((s, _)) if s.as_u16() == 401 => Check::fail(
            "hub",
            format!("{} refused the token (401)", link.url),
            "copy the token `liyi hub box-add` printed into token_file, or issue a new one with `liyi hub box-token`",
        ),
        Ok((s, body)) => Check::fail("hub", format!("{url}: HTTP {s}: {}", body.chars().take(200).collect::<String>()), "check [hub] url"),
        Err(e) => Check::fail("hub", format!("{} unreachable: {e}", link.url), "check [hub] url, the network and the hub's firewall"),
    })
}

/// Where the agent's pages will listen, and whether they need a login.
pub fn pages(cfg: &Config) -> Check {
    match cfg.pages.address(None) {
        Ok(a) if a.ip().is_loopback() => {
            Check::ok("pages", format!("{a}, this box only (from a laptop: ssh -L {}:127.0.0.1:{} <box>)", a.port(), a.port()))
        }
        Ok(a) => Check::ok("pages", format!("{a}, on the LAN with the installer's login (plain HTTP: for the hall's closed network)")),
        Err(e) => Check::fail("pages", e, "see [pages] in config/example.toml"),
    }
}

/// Each window's clerk baseline as the edge store keeps it: a warning for
/// a window without one yet, and for every placement issue that weakens
/// the posture rules (`rules::baseline::Placement`), with its fix.
pub fn baselines(cfg: &Config, store: &Path) -> Vec<Check> {
    if !store.exists() {
        return vec![Check::warn(
            "baselines",
            format!("no store at {} yet", store.display()),
            "run `liyi run` for a few minutes: each window learns its clerk's baseline",
        )];
    }
    let rows = read_store(store, async |s| s.baselines().await);
    let rows: std::collections::BTreeMap<String, String> = match rows {
        Ok(r) => r.into_iter().map(|(w, json, _)| (w, json)).collect(),
        Err(e) => return vec![Check::fail("baselines", e, "check the store with `liyi doctor` after `liyi run` has written it")],
    };
    let mut out = Vec::new();
    for w in cfg.windows.iter().filter(|w| w.source.is_some()) {
        let what = format!("window {} baseline", w.id);
        let learner = match rows.get(&w.id).map(|j| crate::rules::baseline::Learner::from_json(j)) {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                out.push(Check::warn(what, e, "it is learnt afresh on the next run; nothing to do"));
                continue;
            }
            None => crate::rules::baseline::Learner::new(),
        };
        let st = learner.status(w.camera_tilt_deg, w.desk_y.is_some());
        if let Some(b) = &st.baseline {
            out.push(Check::ok(what.clone(), format!("{} samples; shoulders {:.0} px wide", st.samples, b.shoulder_width_px)))
        }
        for p in &st.placement {
            let advice = p.advice();
            let (detail, fix) = advice.split_once(". Fix: ").unwrap_or((advice.as_str(), ""));
            out.push(Check::warn(what.clone(), detail.to_string(), fix.to_string()));
        }
    }
    out
}

/// The hub outbox in an existing store: what waits, and a warning naming
/// the latest reason when rows left it without reaching the hub (refused
/// for good, unreadable, or over the outbox bounds). `None` without a store.
pub fn outbox(store: &Path) -> Option<Check> {
    if !store.is_file() {
        return None;
    }
    let read = read_store(store, async |s| Ok((s.outbox_stats().await?, s.unsent(1).await?)));
    let (stats, latest) = match read {
        Ok(r) => r,
        Err(e) => return Some(Check::fail("outbox", e, "check the store with `liyi check --store FILE`")),
    };
    let waiting = format!("{} minute(s), {} event(s), {} clip(s) wait for the hub", stats.minutes, stats.events, stats.clips);
    Some(match (stats.unsent.unwrap_or(0), latest.first()) {
        (n, Some(u)) if n > 0 => Check::warn(
            "outbox",
            format!("{waiting}; {n} row(s) will never be sent (they stay in the store); the latest, a {}: {}", u.kind, u.reason),
            "remove the cause named (a box or camera clock set wrong, a clip with a face, a long outage); `liyi push` lists the latest ten",
        ),
        _ => Check::ok("outbox", waiting),
    })
}

/// Opens the edge store at `store`, reads it with `read` on a runtime of
/// its own (doctor is synchronous) and closes it.
fn read_store<T>(store: &Path, read: impl AsyncFnOnce(&crate::store::Store) -> Result<T, crate::store::StoreError>) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let s = crate::store::Store::open(store).await.map_err(|e| e.to_string())?;
        let out = read(&s).await.map_err(|e| e.to_string());
        s.close().await;
        out
    })
}

/// Where a store path's data folder is (for the disk check).
pub fn data_dir(store: &Path) -> PathBuf {
    store.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_where_they_listen() {
        let mut cfg = crate::config::parse(include_str!("../config/example.toml"), Path::new("hall.toml")).unwrap();
        let c = pages(&cfg);
        assert_eq!(c.level, Level::Ok);
        assert!(c.detail.contains("127.0.0.1:8787") && c.detail.contains("ssh -L"), "{c}");
        cfg.pages.listen = Some("0.0.0.0:8787".parse().unwrap());
        assert_eq!(pages(&cfg).level, Level::Fail, "a LAN address without a password");
        cfg.pages.password_hash = Some("$argon2id$...".into());
        assert!(pages(&cfg).detail.contains("login"));
    }

    #[test]
    fn baselines_warn_until_learnt_and_name_placement_issues() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::config::parse(
            "hall = \"h\"\n[[window]]\nid = \"w1\"\nsource = \"file:x.mp4\"\ncamera_tilt_deg = 60\nstaff_zone = [[0.3,0.1],[0.7,0.1],[0.7,0.7],[0.3,0.7]]\ncounter_zone = [[0,0.7],[1,0.7],[1,1],[0,1]]\nhours = [\"08:00-12:00\"]\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let store = dir.path().join("liyi.db");
        let checks = baselines(&cfg, &store);
        assert!(checks[0].level == Level::Warn && checks[0].detail.contains("no store"), "{checks:?}");
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            crate::store::Store::open(&store).await.unwrap().close().await;
        });
        let checks = baselines(&cfg, &store);
        let text: Vec<String> = checks.iter().map(|c| c.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("no clerk baseline yet")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("camera_tilt_deg = 60")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("no desk_y")), "{text:?}");

        // A kept learner whose visits a visitor hid too often (6 of 30):
        // the warning names the share and the fix.
        let kept = r#"{"samples":[],"frame":[1280,720],"visits":{"visits":30,"hidden":6}}"#;
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let s = crate::store::Store::open(&store).await.unwrap();
            s.save_baseline("w1", kept, 1_780_000_000).await.unwrap();
            s.close().await;
        });
        let checks = baselines(&cfg, &store);
        let hid = checks.iter().find(|c| c.detail.contains("hid the clerk")).unwrap_or_else(|| panic!("{checks:?}"));
        assert!(hid.level == Level::Warn && hid.detail.contains("6 of the last 30 visits (20 %)"), "{hid:?}");
        assert!(hid.to_string().contains("raise the camera or move it to the side"), "{hid}");
    }

    #[test]
    fn outbox_warns_with_the_latest_reason_a_row_was_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.sqlite");
        assert!(outbox(&path).is_none(), "no store, no check");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let s = crate::store::Store::open(&path).await.unwrap().with_outbox();
            let m = crate::rules::MinuteMetrics {
                window: "w1".into(),
                minute: chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").ok(),
                ..Default::default()
            };
            s.upsert_minutes(&[
                m.clone(),
                crate::rules::MinuteMetrics { minute: m.minute.map(|t| t + chrono::TimeDelta::minutes(1)), ..m },
            ])
            .await
            .unwrap();
            s.close().await;
        });
        let c = outbox(&path).unwrap();
        assert_eq!(c.level, Level::Ok, "{c}");
        assert!(c.detail.contains("2 minute(s)"), "{c}");
        rt.block_on(async {
            let s = crate::store::Store::open(&path).await.unwrap().with_outbox();
            let batch = s.next_batch(1).await.unwrap();
            s.refuse_queued(batch.minutes[0].0, "minute: after the hub's clock").await.unwrap();
            s.close().await;
        });
        let c = outbox(&path).unwrap();
        assert_eq!(c.level, Level::Warn, "{c}");
        assert!(c.detail.contains("1 minute(s)") && c.detail.contains("1 row(s) will never be sent"), "{c}");
        assert!(c.detail.contains("after the hub's clock") && c.fix.contains("liyi push"), "{c}");
    }

    #[test]
    fn disk_fails_below_the_quota() {
        let dir = tempfile::tempdir().unwrap();
        let c = disk(dir.path(), 1e12);
        assert_eq!(c.level, Level::Fail);
        assert!(c.to_string().contains("Fix: free space or lower [clips] quota_mb"), "{c}");
        assert_eq!(disk(dir.path(), 1.0).level, Level::Ok);
        // A folder not made yet: its nearest existing parent is measured.
        assert_eq!(disk(&dir.path().join("not/yet"), 1.0).level, Level::Ok);
    }

    #[test]
    fn an_unwritable_store_fails() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(store_writable(&dir.path().join("data/edge.sqlite")).level, Level::Ok);
        // A file where the store's folder should be (unwritable even for root).
        std::fs::write(dir.path().join("blocked"), b"x").unwrap();
        let c = store_writable(&dir.path().join("blocked/edge.sqlite"));
        assert!(c.level == Level::Fail && c.detail.contains("blocked"), "{c:?}");
    }
}
