//! `[hub]`: where this box sends its numbers and clips (the outbox).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::Reporter;

/// `[hub]` in a box's configuration. Absent: nothing is queued or sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HubLink {
    /// Base URL of the hub, e.g. `https://hub.example.gov.cn:8800`.
    pub url: String,
    /// This box's id, as registered at the hub.
    pub box_id: String,
    /// The box's token (never logged or serialised).
    #[serde(skip)]
    pub token: String,
    /// Seconds between heartbeats.
    pub heartbeat_s: f64,
    /// Rows per upload.
    pub batch: usize,
    /// Clips waiting longer than this leave the outbox (their files stay,
    /// under the clips' own retention). Metrics never leave it unsent.
    pub outbox_max_age_days: f64,
    /// Clips waiting beyond this many MB: the oldest leave the outbox first.
    pub outbox_clip_mb: f64,
    /// Also send clips (metrics and events are always sent).
    pub send_clips: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHub {
    url: Option<Spanned<String>>,
    #[serde(rename = "box")]
    box_id: Option<Spanned<String>>,
    token: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    heartbeat_s: Option<Spanned<f64>>,
    batch: Option<Spanned<usize>>,
    outbox_max_age_days: Option<Spanned<f64>>,
    outbox_clip_mb: Option<Spanned<f64>>,
    send_clips: Option<bool>,
}

/// Validates `[hub]`; `base` is the config file's folder (for `token_file`).
pub(super) fn hub_link(raw: &RawHub, section_at: usize, base: &Path, r: &mut Reporter) -> Option<HubLink> {
    let before = r.errors.len();
    let url = match &raw.url {
        Some(u) => {
            let s = u.get_ref().trim().trim_end_matches('/').to_string();
            if !(s.starts_with("http://") || s.starts_with("https://")) || s.len() < 10 {
                r.error(
                    u.span().start,
                    "hub.url",
                    format!("{:?} is not an http(s) URL", u.get_ref()),
                    "give the hub's address, e.g. url = \"https://hub.example.gov.cn:8800\"",
                );
            }
            s
        }
        None => {
            r.error(section_at, "hub.url", "is missing", "add url = \"https://<hub>:8800\" to [hub]");
            String::new()
        }
    };
    let box_id = match &raw.box_id {
        Some(b) if valid_id(b.get_ref()) => b.get_ref().clone(),
        Some(b) => {
            r.error(
                b.span().start,
                "hub.box",
                format!("{:?} is not a valid box id", b.get_ref()),
                "use letters, digits, - and _ (at most 64), as registered at the hub",
            );
            String::new()
        }
        None => {
            r.error(section_at, "hub.box", "is missing", "add box = \"<id registered at the hub>\" to [hub]");
            String::new()
        }
    };
    let token = match (&raw.token, &raw.token_file) {
        (Some(t), None) => t.get_ref().trim().to_string(),
        (None, Some(f)) => {
            let p = PathBuf::from(f.get_ref());
            let p = if p.is_relative() { base.join(p) } else { p };
            match std::fs::read_to_string(&p) {
                Ok(t) => t.trim().to_string(),
                Err(e) => {
                    r.error(
                        f.span().start,
                        "hub.token_file",
                        format!("{} cannot be read: {e}", p.display()),
                        "write the token the hub printed at registration into that file (mode 0600)",
                    );
                    String::new()
                }
            }
        }
        (Some(t), Some(_)) => {
            r.error(
                t.span().start,
                "hub.token",
                "both token and token_file are set",
                "keep one; token_file keeps the secret out of the config",
            );
            String::new()
        }
        (None, None) => {
            r.error(section_at, "hub.token", "is missing", "add token_file = \"/etc/liyi/hub.token\" (or token = \"...\") to [hub]");
            String::new()
        }
    };
    if r.errors.len() == before && token.len() < 16 {
        let at = raw.token.as_ref().or(raw.token_file.as_ref()).map_or(section_at, |t| t.span().start);
        r.error(at, "hub.token", "is shorter than 16 characters", "use the token `liyi hub box add` printed");
    }
    let mut num = |v: &Option<Spanned<f64>>, field: &str, range: std::ops::RangeInclusive<f64>, fix: &str, default: f64| {
        r.number(v.as_ref(), &format!("hub.{field}"), range, fix, default)
    };
    let heartbeat_s = num(&raw.heartbeat_s, "heartbeat_s", 1.0..=3600.0, "give the seconds between heartbeats, e.g. 30", 30.0);
    let outbox_max_age_days =
        num(&raw.outbox_max_age_days, "outbox_max_age_days", 0.01..=365.0, "give the days a clip may wait for the hub, e.g. 14", 14.0);
    let outbox_clip_mb =
        num(&raw.outbox_clip_mb, "outbox_clip_mb", 1.0..=1_000_000.0, "give the MB of clips that may wait for the hub, e.g. 1024", 1024.0);
    let batch = match &raw.batch {
        Some(b) if (1..=5000).contains(b.get_ref()) => *b.get_ref(),
        Some(b) => {
            r.error(b.span().start, "hub.batch", format!("{} is out of range 1..=5000", b.get_ref()), "give the rows per upload, e.g. 500");
            500
        }
        None => 500,
    };
    (r.errors.len() == before).then(|| HubLink {
        url,
        box_id,
        token,
        heartbeat_s,
        batch,
        outbox_max_age_days,
        outbox_clip_mb,
        send_clips: raw.send_clips.unwrap_or(true),
    })
}

/// Ids of boxes and windows on the wire: letters, digits, `-`, `_`, `.`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
