//! `liyi check`: the stores' consistency check (read-only).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::check;
use crate::doctor::Level;

/// Check a store and its clips folder: SQLite integrity and references, the
/// schema version, and every clip row against the files on disk (and every
/// file against the rows). Read-only; exits 1 if anything failed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An edge store (SQLite).
    #[arg(long, value_name = "FILE", required_unless_present = "hub_config", conflicts_with = "hub_config")]
    store: Option<PathBuf>,

    /// The edge store's clips folder. Default: `clips/` beside the store.
    #[arg(long, value_name = "DIR", requires = "store")]
    clips: Option<PathBuf>,

    /// Check the hub's store and clips folder instead, from its hub.toml.
    #[arg(long, value_name = "FILE")]
    hub_config: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let checks = match (&args.store, &args.hub_config) {
        (Some(store), _) => {
            let clips = args.clips.clone().unwrap_or_else(|| crate::agent::service::clips_beside(store));
            rt.block_on(check::check(check::EDGE, store, &clips))
        }
        (None, Some(config)) => {
            let cfg = match crate::hub::config::load(config) {
                Ok(c) => c,
                Err(errors) => {
                    eprintln!("{errors}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            rt.block_on(check::check_hub(&cfg.store, &cfg.data_dir.join("clips")))
        }
        (None, None) => anyhow::bail!("give --store FILE (an edge store) or --hub-config FILE (the hub's)"),
    };
    for c in &checks {
        println!("{c}");
    }
    Ok(if checks.iter().any(|c| c.level == Level::Fail) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
