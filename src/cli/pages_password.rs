//! `liyi pages-password`: writes the argon2 hash of the installer's
//! password for `[pages] password_file`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to write (mode 0600); point `[pages] password_file` at it.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// The password from LIYI_PASSWORD, else the first line of stdin.
pub(super) fn read_password(prompt: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LIYI_PASSWORD") {
        return Ok(p);
    }
    eprint!("{prompt}: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let password = read_password("installer password (at least 10 characters)")?;
    let hash = crate::secret::hash_password(&password).map_err(anyhow::Error::msg)?;
    crate::atomic::write_bytes(&args.out, format!("{hash}\n").as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&args.out, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to mode 0600", args.out.display()))?;
    }
    eprintln!(
        "wrote the password's hash to {}. Add to the box's config:\n\n[pages]\nlisten = \"0.0.0.0:8787\"\npassword_file = \"{}\"",
        args.out.display(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
