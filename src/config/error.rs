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
