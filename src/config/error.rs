//! Configuration errors that point at `file:line:column`, name the field,
//! say what was expected and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `window[2].hours[0]`.
    pub field: String,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file.display(), self.line, self.column, self.field, self.message)?;
        if !self.fix.is_empty() {
            write!(f, ". Fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors, turning byte offsets into line and column.
pub(crate) struct Reporter<'a> {
    file: &'a Path,
    text: &'a str,
    pub errors: Vec<ConfigError>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Reporter { file, text, errors: Vec::new() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// A number from the file within `range`, else `default` (and an
    /// error naming `field` and the range, with `fix`, if it was given out
    /// of range).
    pub fn number(
        &mut self,
        v: Option<&toml::Spanned<f64>>,
        field: &str,
        range: std::ops::RangeInclusive<f64>,
        fix: &str,
        default: f64,
    ) -> f64 {
        match v {
            Some(v) if range.contains(v.get_ref()) => *v.get_ref(),
            Some(v) => {
                self.error(v.span().start, field, format!("{} is out of range {}..={}", v.get_ref(), range.start(), range.end()), fix);
                default
            }
            None => default,
        }
    }

    pub fn error(&mut self, offset: usize, field: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) {
        let (line, column) = self.position(offset);
        self.errors.push(ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// The text of a configuration file, or one error naming it; `example` is
/// the sample file to point people at.
pub fn read_config(path: &Path, example: &str) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            field: "(file)".into(),
            message: format!("cannot be read: {e}"),
            fix: format!("check the path; an example is {example}"),
        }])
    })
}

/// `text` as TOML into `T`, or every error with its line (the box's and the
/// hub's configurations share this).
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str, r: &mut Reporter, example: &str) -> Result<T, ConfigErrors> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        let fix = if message.contains("unknown field") {
            format!("check the spelling against {example}")
        } else if message.contains("missing field") {
            format!("add the field; see {example}")
        } else {
            format!("see {example} for the expected form")
        };
        r.error(e.span().map_or(0, |s| s.start), "(syntax)", message, fix);
        ConfigErrors(std::mem::take(&mut r.errors))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\n窗口 = 2\n";
        let r = Reporter::new(Path::new("x.toml"), text);
        assert_eq!(r.position(0), (1, 1));
        assert_eq!(r.position(6), (2, 1));
        // The space after the two CJK characters is the line's third character.
        assert_eq!(r.position(text.rfind(" =").unwrap()), (2, 3));
    }

    #[test]
    fn display_has_location_field_and_fix() {
        let e = ConfigError {
            file: "hall.toml".into(),
            line: 3,
            column: 9,
            field: "window[0].hours[1]".into(),
            message: "expected HH:MM-HH:MM, got \"25:00-26:00\"".into(),
            fix: "use 24-hour times such as \"13:30-17:30\"".into(),
        };
        assert_eq!(
            e.to_string(),
            "hall.toml:3:9: window[0].hours[1]: expected HH:MM-HH:MM, got \"25:00-26:00\". Fix: use 24-hour times such as \"13:30-17:30\""
        );
    }
}
