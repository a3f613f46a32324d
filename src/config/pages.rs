//! `[pages]`: where the agent's own pages (status, zone editor, /metrics)
//! listen, and the login they need when that is not 127.0.0.1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::Reporter;

/// The pages' address when neither `[pages] listen` nor `--listen` says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// `[pages]` in a box's configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PagesSettings {
    /// Address of the pages; `None`: `--listen` or [`DEFAULT_LISTEN`].
    pub listen: Option<SocketAddr>,
    /// The argon2id hash of the installer's password (from
    /// `password_file`); never serialised or logged.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// How long a login lasts.
    pub session_hours: f64,
}

impl Default for PagesSettings {
    fn default() -> Self {
        PagesSettings { listen: None, password_hash: None, session_hours: 12.0 }
    }
}

impl PagesSettings {
    /// The address to serve on: the command line's, else the config's, else
    /// 127.0.0.1. An address other than loopback needs a password; the
    /// error says how to set one.
    pub fn address(&self, cli: Option<SocketAddr>) -> Result<SocketAddr, String> {
        let addr = cli.or(self.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("the default address parses"));
        if !addr.ip().is_loopback() && self.password_hash.is_none() {
            return Err(format!(
                "the agent's pages would listen on {addr}, which is reachable from the LAN, without a login. \
                 Fix: make a password with `liyi pages-password --out /etc/liyi/pages.pass` and add \
                 password_file = \"/etc/liyi/pages.pass\" to [pages], or keep the pages on 127.0.0.1 and use an SSH tunnel (see README)"
            ));
        }
        Ok(addr)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPages {
    listen: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    session_hours: Option<Spanned<f64>>,
}

/// Validates `[pages]`; `base` is the config file's folder (for
/// `password_file`).
pub(super) fn pages(raw: &RawPages, section_at: usize, base: &Path, r: &mut Reporter) -> PagesSettings {
    let mut out = PagesSettings::default();
    if let Some(l) = &raw.listen {
        match l.get_ref().trim().parse::<SocketAddr>() {
            Ok(a) => out.listen = Some(a),
            Err(_) => r.error(
                l.span().start,
                "pages.listen",
                format!("{:?} is not an address with a port", l.get_ref()),
                "write it as \"127.0.0.1:8787\" (local only) or \"0.0.0.0:8787\" (LAN, with password_file)",
            ),
        }
    }
    if let Some(f) = &raw.password_file {
        let p = PathBuf::from(f.get_ref());
        let p = if p.is_relative() { base.join(p) } else { p };
        match std::fs::read_to_string(&p) {
            Ok(t) if crate::secret::is_password_hash(t.trim()) => out.password_hash = Some(t.trim().to_string()),
            Ok(_) => r.error(
                f.span().start,
                "pages.password_file",
                format!("{} does not hold a password hash", p.display()),
                "write it with `liyi pages-password --out FILE`; it holds an argon2 hash, never the password itself",
            ),
            Err(e) => r.error(
                f.span().start,
                "pages.password_file",
                format!("{} cannot be read: {e}", p.display()),
                "make it with `liyi pages-password --out FILE` (mode 0600)",
            ),
        }
    }
    if let Some(h) = &raw.session_hours {
        if (0.1..=720.0).contains(h.get_ref()) {
            out.session_hours = *h.get_ref();
        } else {
            r.error(
                h.span().start,
                "pages.session_hours",
                format!("{} is out of range 0.1..=720", h.get_ref()),
                "give the hours a login lasts, e.g. 12",
            );
        }
    }
    if let Some(a) = out.listen
        && !a.ip().is_loopback()
        && out.password_hash.is_none()
        && raw.password_file.is_none()
    {
        let at = raw.listen.as_ref().map_or(section_at, |l| l.span().start);
        r.error(at, "pages.listen", format!("{a} is reachable from the LAN but no password_file is set"), "add password_file = \"/etc/liyi/pages.pass\" (made by `liyi pages-password --out FILE`), or listen on 127.0.0.1 and use an SSH tunnel");
    }
    out
}
