//! `[mqtt]` in a box's configuration: where the agent publishes its events,
//! its windows' rule states and its availability (docs/mqtt.md).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::Reporter;

/// `[mqtt]`. Absent: nothing is published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MqttSettings {
    /// Broker host and port.
    pub host: String,
    pub port: u16,
    /// `mqtts://`: TLS with the system's roots.
    pub tls: bool,
    pub username: Option<String>,
    /// Never logged or serialised.
    #[serde(skip)]
    pub password: Option<String>,
    /// First topic level, `liyi` by default.
    pub prefix: String,
    /// This box's name in topics and the client id: `box`, else the hub's
    /// box id, else `liyi`.
    pub box_id: String,
    /// Messages that may wait for the broker; beyond it they are dropped
    /// and counted.
    pub queue: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMqtt {
    url: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    #[serde(rename = "box")]
    box_id: Option<Spanned<String>>,
    queue: Option<Spanned<usize>>,
}

/// A topic level: no wildcards, separators or control characters, not
/// empty, at most 64 bytes.
pub fn valid_level(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.chars().any(|c| matches!(c, '/' | '+' | '#') || c.is_control())
}

/// Validates `[mqtt]`; `base` is the config file's folder, `hub_box` the
/// `[hub] box` id if any.
pub(crate) fn mqtt(raw: &RawMqtt, section_at: usize, base: &Path, hub_box: Option<&str>, r: &mut Reporter) -> Option<MqttSettings> {
    let before = r.errors.len();
    let (host, port, tls) = match &raw.url {
        Some(u) => match parse_url(u.get_ref()) {
            Ok(v) => v,
            Err(why) => {
                r.error(
                    u.span().start,
                    "mqtt.url",
                    format!("{:?} {why}", u.get_ref()),
                    "give the broker as url = \"mqtt://host:1883\" (or mqtts://host:8883 for TLS)",
                );
                (String::new(), 0, false)
            }
        },
        None => {
            r.error(section_at, "mqtt.url", "is missing", "add url = \"mqtt://<broker>:1883\" to [mqtt]");
            (String::new(), 0, false)
        }
    };
    let password = raw.password_file.as_ref().and_then(|f| {
        let p = PathBuf::from(f.get_ref());
        let p = if p.is_relative() { base.join(p) } else { p };
        match std::fs::read_to_string(&p) {
            Ok(t) => Some(t.trim().to_string()),
            Err(e) => {
                r.error(
                    f.span().start,
                    "mqtt.password_file",
                    format!("{} cannot be read: {e}", p.display()),
                    "write the broker password into that file (mode 0600)",
                );
                None
            }
        }
    });
    if password.is_some() && raw.username.is_none() {
        let at = raw.password_file.as_ref().map_or(section_at, |f| f.span().start);
        r.error(at, "mqtt.username", "a password is set without a username", "add username = \"...\" to [mqtt]");
    }
    let mut level = |v: &Option<Spanned<String>>, field: &str, default: &str| match v {
        Some(s) if valid_level(s.get_ref()) => s.get_ref().clone(),
        Some(s) => {
            r.error(
                s.span().start,
                format!("mqtt.{field}"),
                format!("{:?} is not a topic level", s.get_ref()),
                "use at most 64 bytes without '/', '+', '#' or control characters",
            );
            default.to_string()
        }
        None => default.to_string(),
    };
    let prefix = level(&raw.prefix, "prefix", "liyi");
    let box_id = level(&raw.box_id, "box", hub_box.filter(|b| valid_level(b)).unwrap_or("liyi"));
    let queue = match &raw.queue {
        Some(q) if (1..=100_000).contains(q.get_ref()) => *q.get_ref(),
        Some(q) => {
            r.error(
                q.span().start,
                "mqtt.queue",
                format!("{} is out of range 1..=100000", q.get_ref()),
                "give how many messages may wait for the broker, e.g. 1000",
            );
            1000
        }
        None => 1000,
    };
    let username = raw.username.as_ref().map(|u| u.get_ref().clone());
    (r.errors.len() == before).then_some(MqttSettings { host, port, tls, username, password, prefix, box_id, queue })
}

/// `mqtt://host[:port]` or `mqtts://host[:port]` (ports 1883 and 8883 by
/// default); nothing after the address.
pub fn parse_url(url: &str) -> Result<(String, u16, bool), &'static str> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else {
        return Err("is not an mqtt:// or mqtts:// URL");
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be only a host and an optional port (credentials go in username and password_file)");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(p) if p > 0 => (h, p),
            _ => return Err("has a bad port"),
        },
        _ => (rest, if tls { 8883 } else { 1883 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(':') && !rest.starts_with('[') {
        return Err("has no host");
    }
    Ok((host.to_string(), port, tls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls_parse_or_say_why() {
        assert_eq!(parse_url("mqtt://127.0.0.1:1883"), Ok(("127.0.0.1".into(), 1883, false)));
        assert_eq!(parse_url("mqtts://broker.hall.gov.cn"), Ok(("broker.hall.gov.cn".into(), 8883, true)));
        assert_eq!(parse_url("mqtt://broker/"), Ok(("broker".into(), 1883, false)));
        assert_eq!(parse_url("mqtt://[::1]:1884"), Ok(("::1".into(), 1884, false)));
        for bad in
            ["http://x", "mqtt://", "mqtt://h:0", "mqtt://h:99999", "mqtt://u:p@h", "mqtt://h/topic", "mqtt://h:1883?x=1", "mqtt://h st"]
        {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_levels_refuse_wildcards_and_separators() {
        assert!(valid_level("大厅-1") && valid_level("box_07"));
        for bad in ["", "a/b", "a+", "#", "a\nb", &"x".repeat(65)] {
            assert!(!valid_level(bad), "{bad:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn url_parsing_never_panics_and_keeps_hosts_clean(s in ".{0,40}") {
            for url in [s.clone(), format!("mqtt://{s}"), format!("mqtts://{s}")] {
                if let Ok((host, port, _)) = parse_url(&url) {
                    prop_assert!(!host.is_empty() && port > 0);
                    prop_assert!(!host.contains(['/', '@', '?', '#']) && !host.chars().any(char::is_whitespace));
                }
            }
        }
    }
}
