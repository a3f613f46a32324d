//! `liyi check-config FILE`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config;

/// Validate a window configuration and say what is wrong, where, and how to
/// fix it (file:line:column, field, expected, fix). Camera sources are
/// checked for syntax only.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The TOML configuration, e.g. config/example.toml.
    file: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match config::load(&args.file) {
        Ok(c) => {
            println!("{}: ok — {} ({}), {} window(s)", args.file.display(), c.hall, c.timezone.name(), c.windows.len());
            for w in &c.windows {
                let hours: Vec<String> =
                    w.schedule.hours.iter().map(|h| format!("{}-{}", h.start.format("%H:%M"), h.end.format("%H:%M"))).collect();
                let source = w.source.as_ref().map_or("(no source)".to_string(), |s| s.to_string());
                println!("  {:<8} {}  hours {}  source {}", w.id, w.name, hours.join(", "), source);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!("{} problem(s) in {}", errors.0.len(), args.file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
