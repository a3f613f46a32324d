//! Translation tables for what people in the hall read: zh-CN first,
//! English by configuration. Every label comes from `zh-CN.toml` / `en.toml`;
//! a test keeps the two tables' keys identical.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh_cn" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// The `lang` attribute of a page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The table for this language: key → text.
    pub fn table(self) -> &'static BTreeMap<String, String> {
        static ZH: OnceLock<BTreeMap<String, String>> = OnceLock::new();
        static EN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
        match self {
            Lang::Zh => ZH.get_or_init(|| flatten(include_str!("zh-CN.toml"))),
            Lang::En => EN.get_or_init(|| flatten(include_str!("en.toml"))),
        }
    }

    /// The text for `key` (tests make sure every key used exists; a
    /// missing one shows as `(?key)` in the log and `?` on the page).
    pub fn t(self, key: &str) -> &'static str {
        match self.table().get(key) {
            Some(s) => s.as_str(),
            None => {
                tracing::warn!(key, "missing translation");
                "?"
            }
        }
    }

    /// `t(key)` with `{name}` placeholders filled.
    pub fn f(self, key: &str, args: &[(&str, String)]) -> String {
        let mut s = self.t(key).to_string();
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

/// `[section] key = "text"` → `section.key`.
fn flatten(text: &str) -> BTreeMap<String, String> {
    let value: toml::Table = text.parse().expect("the built-in translation tables are valid TOML");
    let mut out = BTreeMap::new();
    fn walk(prefix: &str, t: &toml::Table, out: &mut BTreeMap<String, String>) {
        for (k, v) in t {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::Table(inner) => walk(&key, inner, out),
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                other => panic!("translation {key} is not text: {other}"),
            }
        }
    }
    walk("", &value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_the_same_keys_and_placeholders() {
        let (zh, en) = (Lang::Zh.table(), Lang::En.table());
        let zk: Vec<_> = zh.keys().collect();
        let ek: Vec<_> = en.keys().collect();
        assert_eq!(zk, ek, "zh-CN.toml and en.toml must hold the same keys");
        for (k, z) in zh {
            let holes = |s: &str| s.match_indices('{').map(|(i, _)| s[i..].split('}').next().unwrap_or("").to_string()).collect::<Vec<_>>();
            let (mut a, mut b) = (holes(z), holes(&en[k]));
            a.sort();
            b.sort();
            assert_eq!(a, b, "placeholders of {k} differ");
        }
        assert!(zh.len() > 50);
    }

    #[test]
    fn placeholders_fill_in() {
        assert_eq!(
            Lang::En.f("report.subject", &[("date", "2026-11-28".into()), ("rate", "93.1 %".into())]),
            "Liyi daily summary 2026-11-28 · compliance 93.1 %"
        );
    }
}
