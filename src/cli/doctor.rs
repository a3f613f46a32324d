//! `liyi doctor [--config FILE]`: checks the whole box, line by line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::RuntimeArgs;
use crate::doctor::{self, Check, Level};

/// Check the box: ONNX Runtime, models, each camera, the clock and timezone,
/// disk space, and the hub. Says what to fix; exits 1 if anything failed.
/// Finishes within a minute even when sources and the hub are unreachable.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The window configuration.
    #[arg(long, value_name = "FILE", default_value = "/etc/liyi/hall.toml")]
    config: PathBuf,

    /// The edge store (its folder holds the clips; checked for space).
    #[arg(long, value_name = "FILE", default_value = "/var/lib/liyi/edge.sqlite")]
    store: PathBuf,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut checks: Vec<Check> = Vec::new();
    let say = |c: Check| {
        println!("{c}");
        c
    };
    let (rt, _) = doctor::runtime(args.runtime.ort_lib.as_deref());
    checks.push(say(rt));
    for c in doctor::models(&args.runtime.catalog()) {
        checks.push(say(c));
    }
    match crate::config::load(&args.config) {
        Err(errors) => {
            for e in errors.0 {
                checks.push(say(Check {
                    level: Level::Fail,
                    what: format!("config {}", args.config.display()),
                    detail: format!("{}:{}: {}: {}", e.line, e.column, e.field, e.message),
                    fix: e.fix,
                }));
            }
        }
        Ok(cfg) => {
            checks.push(say(Check {
                level: Level::Ok,
                what: "config".into(),
                detail: format!("{}: {} ({}), {} window(s)", args.config.display(), cfg.hall, cfg.timezone.name(), cfg.windows.len()),
                fix: String::new(),
            }));
            for c in doctor::clock(&cfg) {
                checks.push(say(c));
            }
            checks.push(say(doctor::store_writable(&args.store)));
            // An existing store: the same read-only consistency check as
            // `liyi check --store` (integrity, schema, clip files).
            if args.store.is_file() {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let clips = crate::agent::service::clips_beside(&args.store);
                for c in rt.block_on(crate::check::check(crate::check::EDGE, &args.store, &clips)) {
                    checks.push(say(c));
                }
            }
            checks.push(say(doctor::disk(&doctor::data_dir(&args.store), if cfg.clips.enabled { cfg.clips.quota_mb } else { 0.0 })));
            for c in doctor::sources(&cfg, Duration::from_secs(15)) {
                checks.push(say(c));
            }
            for c in doctor::baselines(&cfg, &args.store) {
                checks.push(say(c));
            }
            checks.push(say(doctor::pages(&cfg)));
            match doctor::hub(&cfg) {
                Some(c) => {
                    checks.push(say(c));
                    if let Some(c) = doctor::outbox(&args.store) {
                        checks.push(say(c));
                    }
                }
                None => checks.push(say(Check {
                    level: Level::Ok,
                    what: "hub".into(),
                    detail: "none configured ([hub]); data stays on this box".into(),
                    fix: String::new(),
                })),
            }
        }
    }
    let failed = checks.iter().filter(|c| c.level == Level::Fail).count();
    let warned = checks.iter().filter(|c| c.level == Level::Warn).count();
    println!("{} check(s): {failed} failed, {warned} warning(s)", checks.len());
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
