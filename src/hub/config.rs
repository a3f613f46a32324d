//! `hub.toml`: where the hub listens and keeps its data, its language and
//! timezone, when the daily summary goes out and to whom, and its limits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigErrors;
use crate::config::error::Reporter;

use crate::i18n::Lang;

/// A validated hub configuration.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub file: PathBuf,
    pub listen: SocketAddr,
    /// The clips (`clips/`) live here, and the SQLite store by default.
    pub data_dir: PathBuf,
    /// The store: `[store] url`, by default `sqlite://hub.sqlite` under
    /// `data_dir`; `postgres://…` for a cluster of hub processes.
    pub store: crate::hub::db::StoreUrl,
    /// How people reach the hub; links in e-mails and webhooks point here.
    pub public_url: String,
    pub language: Lang,
    pub timezone: Tz,
    pub report: ReportSettings,
    pub retention_days: f64,
    pub health: HealthSettings,
    pub limits: Limits,
    pub email: Option<EmailSettings>,
    pub webhook: Option<WebhookSettings>,
    /// Where the hub publishes its alerts (`[mqtt]`, as in a box's config;
    /// `box` defaults to `hub`).
    pub mqtt: Option<crate::config::MqttSettings>,
}

#[derive(Debug, Clone, Copy)]
pub struct ReportSettings {
    /// Local time the day's summary is made and sent (after service hours).
    pub at: NaiveTime,
    /// A window under this compliance rate needs attention.
    pub attention_below: f64,
    /// A window with more unknown time than this share needs attention.
    pub attention_unknown: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct HealthSettings {
    /// A box without a heartbeat this long is offline.
    pub box_silent_s: f64,
    /// A camera down this long raises an alert.
    pub camera_down_s: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub batch_bytes: usize,
    pub clip_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    WeCom,
    DingTalk,
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: String,
    pub format: WebhookFormat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<Spanned<String>>,
    data_dir: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    report: Option<RawReport>,
    retention: Option<RawRetention>,
    health: Option<RawHealth>,
    limits: Option<RawLimits>,
    email: Option<Spanned<RawEmail>>,
    webhook: Option<Spanned<RawWebhook>>,
    mqtt: Option<Spanned<crate::config::mqtt::RawMqtt>>,
    store: Option<RawStore>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    at: Option<Spanned<String>>,
    attention_below: Option<Spanned<f64>>,
    attention_unknown: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    clip_max_age_days: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    box_silent_s: Option<Spanned<f64>>,
    camera_down_s: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    batch_mb: Option<Spanned<f64>>,
    clip_mb: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    host: Spanned<String>,
    port: Option<u16>,
    tls: Option<Spanned<String>>,
    username: Option<String>,
    password_file: Option<Spanned<String>>,
    from: Spanned<String>,
    to: Spanned<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Spanned<String>,
    format: Option<Spanned<String>>,
}

/// Reads and validates a hub configuration file.
pub fn load(path: &Path) -> Result<HubConfig, ConfigErrors> {
    parse(&crate::config::error::read_config(path, "config/hub.example.toml")?, path)
}

pub fn parse(text: &str, path: &Path) -> Result<HubConfig, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let raw: Raw = crate::config::error::from_toml(text, &mut r, "config/hub.example.toml")?;
    let base = path.parent().unwrap_or(Path::new(""));
    let listen = match &raw.listen {
        Some(l) => l.get_ref().parse().unwrap_or_else(|_| {
            r.error(l.span().start, "listen", format!("{:?} is not an address:port", l.get_ref()), "e.g. listen = \"127.0.0.1:8800\"");
            SocketAddr::from(([127, 0, 0, 1], 8800))
        }),
        None => SocketAddr::from(([127, 0, 0, 1], 8800)),
    };
    let data_dir = match &raw.data_dir {
        Some(d) if d.get_ref().trim().is_empty() => {
            r.error(d.span().start, "data_dir", "is empty", "give a folder, e.g. data_dir = \"/var/lib/liyi-hub\"");
            PathBuf::new()
        }
        Some(d) => base.join(d.get_ref()),
        None => base.join("hub-data"),
    };
    let store = match raw.store.as_ref().and_then(|s| s.url.as_ref()) {
        Some(u) => crate::hub::db::StoreUrl::parse(u.get_ref(), &data_dir).unwrap_or_else(|e| {
            r.error(
                u.span().start,
                "store.url",
                e,
                "e.g. url = \"postgres://liyi@db.example:5432/liyi\"; leave [store] out for the SQLite file",
            );
            crate::hub::db::StoreUrl::Sqlite(data_dir.join("hub.sqlite"))
        }),
        None => crate::hub::db::StoreUrl::Sqlite(data_dir.join("hub.sqlite")),
    };
    let public_url = match &raw.public_url {
        Some(u) if u.get_ref().starts_with("http://") || u.get_ref().starts_with("https://") => {
            u.get_ref().trim_end_matches('/').to_string()
        }
        Some(u) => {
            r.error(
                u.span().start,
                "public_url",
                format!("{:?} is not an http(s) URL", u.get_ref()),
                "give the address people open, e.g. public_url = \"https://hub.example.gov.cn\"",
            );
            String::new()
        }
        None => format!("http://{listen}"),
    };
    let language = match &raw.language {
        Some(l) => Lang::parse(l.get_ref()).unwrap_or_else(|| {
            r.error(l.span().start, "language", format!("{:?} is not offered", l.get_ref()), "use \"zh-CN\" or \"en\"");
            Lang::Zh
        }),
        None => Lang::Zh,
    };
    let timezone = match &raw.timezone {
        Some(t) => t.get_ref().parse::<Tz>().unwrap_or_else(|_| {
            r.error(
                t.span().start,
                "timezone",
                format!("{:?} is not an IANA timezone name", t.get_ref()),
                "use a name such as \"Asia/Shanghai\"",
            );
            chrono_tz::Asia::Shanghai
        }),
        None => chrono_tz::Asia::Shanghai,
    };
    let rep = raw.report.unwrap_or_default();
    let mut report =
        ReportSettings { at: NaiveTime::from_hms_opt(18, 30, 0).expect("valid time"), attention_below: 0.9, attention_unknown: 0.3 };
    if let Some(at) = &rep.at {
        match NaiveTime::parse_from_str(at.get_ref(), "%H:%M") {
            Ok(t) => report.at = t,
            Err(_) => r.error(
                at.span().start,
                "report.at",
                format!("{:?} is not HH:MM", at.get_ref()),
                "give a local time after service hours, e.g. at = \"18:30\"",
            ),
        }
    }
    let mut frac = |v: &Option<Spanned<f64>>, field: &str, into: &mut f64| {
        if let Some(v) = v {
            if (0.0..=1.0).contains(v.get_ref()) {
                *into = *v.get_ref();
            } else {
                r.error(v.span().start, field, format!("{} is outside 0..1", v.get_ref()), "give a fraction, e.g. 0.9 for 90 %");
            }
        }
    };
    frac(&rep.attention_below, "report.attention_below", &mut report.attention_below);
    frac(&rep.attention_unknown, "report.attention_unknown", &mut report.attention_unknown);
    let mut num = |v: Option<&Spanned<f64>>, field: &str, range: std::ops::RangeInclusive<f64>, fix: &str, default: f64| {
        r.number(v, field, range, fix, default)
    };
    let retention_days = num(
        raw.retention.as_ref().and_then(|x| x.clip_max_age_days.as_ref()),
        "retention.clip_max_age_days",
        0.01..=3650.0,
        "give the days a clip is kept unless a trainer keeps it, e.g. 30",
        30.0,
    );
    let health = HealthSettings {
        box_silent_s: num(
            raw.health.as_ref().and_then(|x| x.box_silent_s.as_ref()),
            "health.box_silent_s",
            5.0..=86_400.0,
            "give the seconds without heartbeat before a box is offline, e.g. 180",
            180.0,
        ),
        camera_down_s: num(
            raw.health.as_ref().and_then(|x| x.camera_down_s.as_ref()),
            "health.camera_down_s",
            1.0..=86_400.0,
            "give the seconds a camera may be down before an alert, e.g. 120",
            120.0,
        ),
    };
    let limits = Limits {
        batch_bytes: (num(
            raw.limits.as_ref().and_then(|x| x.batch_mb.as_ref()),
            "limits.batch_mb",
            0.01..=256.0,
            "give the largest metrics upload in MB, e.g. 4",
            4.0,
        ) * 1e6) as usize,
        clip_bytes: (num(
            raw.limits.as_ref().and_then(|x| x.clip_mb.as_ref()),
            "limits.clip_mb",
            0.1..=2048.0,
            "give the largest clip upload in MB, e.g. 64",
            64.0,
        ) * 1e6) as usize,
    };
    let email = raw.email.as_ref().map(|e| {
        let at = e.span().start;
        let e = e.get_ref();
        let tls = match e.tls.as_ref().map(|t| t.get_ref().as_str()) {
            None | Some("starttls") => SmtpTls::StartTls,
            Some("none") => SmtpTls::None,
            Some("tls") => SmtpTls::Tls,
            Some(other) => {
                r.error(
                    e.tls.as_ref().map_or(at, |t| t.span().start),
                    "email.tls",
                    format!("{other:?} is not a TLS mode"),
                    "use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (a relay on the same host only)",
                );
                SmtpTls::StartTls
            }
        };
        let password = e.password_file.as_ref().and_then(|f| {
            let p = base.join(f.get_ref());
            std::fs::read_to_string(&p)
                .map(|s| s.trim().to_string())
                .map_err(|err| {
                    r.error(
                        f.span().start,
                        "email.password_file",
                        format!("{} cannot be read: {err}", p.display()),
                        "write the SMTP password into that file (mode 0600)",
                    )
                })
                .ok()
        });
        for addr in [e.from.get_ref()].into_iter().chain(e.to.get_ref()) {
            if addr.parse::<lettre::Address>().is_err() {
                r.error(e.to.span().start, "email", format!("{addr:?} is not an e-mail address"), "write addresses as name@example.gov.cn");
            }
        }
        if e.to.get_ref().is_empty() {
            r.error(e.to.span().start, "email.to", "is empty", "list who gets the daily summary, e.g. to = [\"zhang@example.gov.cn\"]");
        }
        let port = e.port.unwrap_or(match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        });
        EmailSettings {
            host: e.host.get_ref().clone(),
            port,
            tls,
            username: e.username.clone(),
            password,
            from: e.from.get_ref().clone(),
            to: e.to.get_ref().clone(),
        }
    });
    let webhook = raw.webhook.as_ref().map(|w| {
        let w = w.get_ref();
        if !(w.url.get_ref().starts_with("http://") || w.url.get_ref().starts_with("https://")) {
            r.error(
                w.url.span().start,
                "webhook.url",
                format!("{:?} is not an http(s) URL", w.url.get_ref()),
                "paste the group robot's webhook address",
            );
        }
        let format = match w.format.as_ref().map(|f| f.get_ref().as_str()) {
            None | Some("wecom") => WebhookFormat::WeCom,
            Some("dingtalk") => WebhookFormat::DingTalk,
            Some(other) => {
                r.error(
                    w.format.as_ref().map_or(0, |f| f.span().start),
                    "webhook.format",
                    format!("{other:?} is not a robot format"),
                    "use \"wecom\" (企业微信) or \"dingtalk\" (钉钉)",
                );
                WebhookFormat::WeCom
            }
        };
        WebhookSettings { url: w.url.get_ref().clone(), format }
    });
    let mqtt = raw.mqtt.as_ref().and_then(|m| crate::config::mqtt::mqtt(m.get_ref(), m.span().start, base, Some("hub"), &mut r));
    if !r.errors.is_empty() {
        return Err(ConfigErrors(r.errors));
    }
    Ok(HubConfig {
        file: path.to_path_buf(),
        listen,
        data_dir,
        store,
        public_url,
        language,
        timezone,
        report,
        retention_days,
        health,
        limits,
        email,
        webhook,
        mqtt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors_name_the_field() {
        let c = parse("", Path::new("/etc/liyi/hub.toml")).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8800");
        assert_eq!(c.data_dir, Path::new("/etc/liyi/hub-data"));
        assert_eq!(c.language, Lang::Zh);
        assert!(c.email.is_none());
        let e = parse("[report]\nat = \"25:00\"\n[webhook]\nurl = \"ftp://x\"\nformat = \"slack\"\n", Path::new("hub.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("hub.toml:2:6: report.at"), "{e}");
        assert!(e.contains("webhook.url") && e.contains("webhook.format"), "{e}");
        let e = parse("listn = 1", Path::new("hub.toml")).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        assert_eq!(c.store, crate::hub::db::StoreUrl::Sqlite("/etc/liyi/hub-data/hub.sqlite".into()));
        let c = parse("[store]\nurl = \"postgres://liyi@db:5432/liyi\"\n", Path::new("hub.toml")).unwrap();
        assert_eq!(c.store.backend(), crate::hub::db::Backend::Postgres);
        let e = parse("\n[store]\nurl = \"mysql://db/liyi\"\n", Path::new("hub.toml")).unwrap_err().to_string();
        assert!(e.contains("hub.toml:3:7: store.url") && e.contains("postgres://"), "{e}");
    }

    #[test]
    fn email_needs_addresses() {
        let e = parse("[email]\nhost = \"127.0.0.1\"\nfrom = \"nobody\"\nto = []\n", Path::new("hub.toml")).unwrap_err().to_string();
        assert!(e.contains("\"nobody\" is not an e-mail address") && e.contains("email.to: is empty"), "{e}");
    }
}
