//! `liyi models`: what models liyi knows, and whether their files are intact.

use std::process::ExitCode;

use super::RuntimeArgs;
use crate::vision::catalog::read_hashed;

/// List the known models with their licence and file status.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let catalog = args.runtime.catalog();
    let dir = catalog.models_dir().map(|d| d.display().to_string()).unwrap_or_else(|| "(not found)".into());
    println!("models folder: {dir}");
    println!("{:<18} {:<10} {:<7} {:<10} licence", "name", "family", "task", "file");
    let mut bad = 0;
    for (folder, m) in crate::vision::manifest::Manifest::built_in() {
        let path = catalog.models_dir().map(|d| d.join(folder).join(&m.file));
        let status = match path {
            Some(p) if p.is_file() => match read_hashed(&p) {
                Ok((_, sha)) if Some(sha.as_str()) == m.sha256.as_deref() => "ok",
                Ok(_) => {
                    bad += 1;
                    "CORRUPT"
                }
                Err(_) => {
                    bad += 1;
                    "UNREADABLE"
                }
            },
            _ if !m.bundled => "opt-in",
            _ => {
                bad += 1;
                "MISSING"
            }
        };
        println!("{:<18} {:<10} {:<7} {:<10} {}", m.name, m.family.to_string(), format!("{:?}", m.task).to_lowercase(), status, m.licence);
    }
    Ok(if bad > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
