//! The hub (`liyi hub`): receives numbers and redacted clips from many
//! boxes exactly once, checks every clip for faces before keeping it, makes
//! the daily compliance summary and delivers it by e-mail and group-robot
//! webhook, watches box health, and serves pages for supervisors, trainers
//! and admins.
//!
//! - `config`: `hub.toml`.
//! - `db`: the store (SQLite through `sqlx`, numbered migrations).
//! - `validate`: checks on box uploads (pure).
//! - `summary`: the daily figures (pure); `charts` and `render`: how they
//!   look; `deliver`: e-mail and webhooks.
//! - `report`: one day's summary from the store; `tasks`: the schedule
//!   (summary, health alerts, retention).
//! - `web`: the HTTP API for boxes and the pages for people.
//! - `pack`: the teaching-pack zip.

pub mod charts;
pub mod config;
pub mod db;
pub mod deliver;
pub mod pack;
pub mod render;
pub mod report;
pub mod summary;
pub mod tasks;
pub mod validate;
pub mod web;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::vision::retinaface::FaceDetector;

pub use config::HubConfig;
pub use db::HubDb;

/// What every request handler and task shares.
pub struct Hub {
    pub cfg: HubConfig,
    pub db: HubDb,
    /// The face model that checks uploads; without it every clip is refused
    /// (503: the box keeps it and retries).
    pub faces: Result<Mutex<FaceDetector>, String>,
    /// Per-address and per-account limits on sign-ins.
    pub signin: Arc<crate::signin::Limiter>,
    /// The bounded pool that checks and hashes passwords.
    pub passwords: crate::signin::PasswordPool,
    /// The hub's clock: the scheduler's ticks and ingest's time bounds.
    pub clock: Arc<dyn crate::base::clock::Clock>,
    /// Publishes alerts on MQTT (`[mqtt]`).
    pub mqtt: Option<Arc<crate::mqtt::Publisher>>,
    /// This process among the hub processes that may share the store: the
    /// schedule's lease and report claims are held under this name.
    pub holder: String,
}

impl Hub {
    /// The hub clock's wall time as a chrono UTC instant (what pages,
    /// exports and reports date themselves by).
    pub fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        let ms = self.clock.now_ms();
        chrono::DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
            chrono::DateTime::<chrono::Utc>::MIN_UTC
        } else {
            chrono::DateTime::<chrono::Utc>::MAX_UTC
        })
    }

    pub fn clips_dir(&self) -> PathBuf {
        self.cfg.data_dir.join("clips")
    }

    /// Opens the hub's store; `mqtt` publishes its alerts (only the serving
    /// hub has one: one client per broker session).
    pub async fn open(
        cfg: HubConfig,
        faces: Result<FaceDetector, String>,
        mqtt: Option<Arc<crate::mqtt::Publisher>>,
    ) -> anyhow::Result<Arc<Hub>> {
        std::fs::create_dir_all(&cfg.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the hub's data folder {}: {e}", cfg.data_dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&cfg.data_dir, std::fs::Permissions::from_mode(0o700));
        }
        let db = HubDb::connect(&cfg.store).await?;
        Ok(Arc::new(Hub {
            cfg,
            db,
            faces: faces.map(Mutex::new),
            signin: crate::signin::Limiter::new(crate::signin::ADDRESS_LIMIT, crate::signin::ACCOUNT_LIMIT),
            passwords: crate::signin::PasswordPool::for_this_machine(),
            clock: crate::base::clock::RealClock::shared(),
            mqtt,
            holder: holder_id(),
        }))
    }
}

/// A name for this hub process: host, process id and a random part (a
/// restarted process is a new holder).
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    format!("{}:{}:{}", if host.is_empty() { "hub" } else { &host }, std::process::id(), &crate::secret::random_token()[..8])
}
