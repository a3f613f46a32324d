//! A window's camera source, as written in the config. Only the syntax is
//! checked here; reaching the camera is the agent's job.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceSpec {
    /// `camera:N` or `/dev/videoN`: a USB / V4L2 camera.
    Camera { index: u32 },
    /// `rtsp://…`: an IP camera.
    Rtsp { url: String },
    /// `file:PATH`: a recorded video.
    File { path: PathBuf },
    /// `images:DIR`: a folder of images.
    Images { dir: PathBuf },
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Camera { index } => write!(f, "camera:{index}"),
            // Never print a camera password.
            SourceSpec::Rtsp { url } => {
                if let Some((scheme, rest)) = url.split_once("://") {
                    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
                    if let Some((_, host)) = authority.rsplit_once('@') {
                        write!(f, "{scheme}://***@{host}")?;
                        return path.map_or(Ok(()), |p| write!(f, "/{p}"));
                    }
                }
                f.write_str(url)
            }
            SourceSpec::File { path } => write!(f, "file:{}", path.display()),
            SourceSpec::Images { dir } => write!(f, "images:{}", dir.display()),
        }
    }
}

/// The accepted forms, for error messages.
pub const FORMS: &str = "`camera:N`, `/dev/videoN`, `rtsp://HOST/PATH`, `file:PATH` or `images:DIR`";

impl SourceSpec {
    /// Resolves a relative file or folder path against `base` (the config
    /// file's folder), so a config works from any working directory.
    pub fn relative_to(self, base: &std::path::Path) -> SourceSpec {
        match self {
            SourceSpec::File { path } if path.is_relative() => SourceSpec::File { path: base.join(path) },
            SourceSpec::Images { dir } if dir.is_relative() => SourceSpec::Images { dir: base.join(dir) },
            other => other,
        }
    }

    pub fn parse(s: &str) -> Result<SourceSpec, String> {
        let s = s.trim();
        if s.chars().any(char::is_control) {
            return Err(format!("`{}`: the source holds a control character (a NUL, tab or line break); remove it", s.escape_debug()));
        }
        if let Some(n) = s.strip_prefix("camera:") {
            return n
                .parse()
                .map(|index| SourceSpec::Camera { index })
                .map_err(|_| format!("`{s}`: the camera number must be a whole number, e.g. camera:0"));
        }
        if let Some(n) = s.strip_prefix("/dev/video") {
            return n
                .parse()
                .map(|index| SourceSpec::Camera { index })
                .map_err(|_| format!("`{s}`: expected /dev/videoN, e.g. /dev/video0"));
        }
        if s.starts_with("rtsp://") || s.starts_with("rtsps://") {
            let rest = s.split_once("://").map_or("", |(_, r)| r);
            let host = rest.split(['/', '?']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            let (name, port) = match host.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || host.starts_with('[') => (h, Some(p)),
                _ => (host, None),
            };
            if name.is_empty() {
                return Err(format!("`{s}`: the RTSP address has no host, e.g. rtsp://192.0.2.10:554/stream1"));
            }
            if let Some(p) = port
                && p.parse::<u16>().is_err()
            {
                return Err(format!("`{s}`: the port `{p}` is not a number from 1 to 65535"));
            }
            if s.chars().any(char::is_whitespace) {
                return Err(format!("`{s}`: an RTSP address cannot contain spaces; percent-encode them as %20"));
            }
            return Ok(SourceSpec::Rtsp { url: s.to_string() });
        }
        if let Some(p) = s.strip_prefix("file:") {
            return if p.is_empty() {
                Err("`file:` needs a path, e.g. file:/var/lib/liyi/replay.mp4".into())
            } else {
                Ok(SourceSpec::File { path: p.into() })
            };
        }
        if let Some(p) = s.strip_prefix("images:") {
            return if p.is_empty() {
                Err("`images:` needs a folder, e.g. images:/var/lib/liyi/frames".into())
            } else {
                Ok(SourceSpec::Images { dir: p.into() })
            };
        }
        Err(format!("`{s}` is not a source liyi understands"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(SourceSpec::parse("camera:2").unwrap(), SourceSpec::Camera { index: 2 });
        assert_eq!(SourceSpec::parse("/dev/video0").unwrap(), SourceSpec::Camera { index: 0 });
        assert!(matches!(SourceSpec::parse("rtsp://user:pw@192.0.2.4:554/h264").unwrap(), SourceSpec::Rtsp { .. }));
        assert_eq!(SourceSpec::parse("file:/x/y.mp4").unwrap(), SourceSpec::File { path: "/x/y.mp4".into() });
        assert_eq!(SourceSpec::parse("images:frames").unwrap(), SourceSpec::Images { dir: "frames".into() });
    }

    #[test]
    fn credentials_are_not_displayed() {
        let s = SourceSpec::parse("rtsp://admin:secret@192.0.2.4:554/h264").unwrap();
        assert_eq!(s.to_string(), "rtsp://***@192.0.2.4:554/h264");
        assert_eq!(SourceSpec::parse("rtsp://192.0.2.4/a").unwrap().to_string(), "rtsp://192.0.2.4/a");
    }

    #[test]
    fn rejected_forms() {
        for bad in [
            "camera:x",
            "/dev/videoA",
            "rtsp://",
            "rtsp://host:99999/a",
            "rtsp://host/a b",
            "file:",
            "images:",
            "http://x",
            "webcam",
            "rtsp://cam/s\u{0}x",
            "file:/x/\u{0}.mp4",
            "images:a\u{7}b",
        ] {
            assert!(SourceSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
