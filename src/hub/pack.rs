//! The teaching pack: a zip of chosen clips (already redacted) with an
//! `index.html` of their notes, for training sessions.

use std::io::Write;

use minijinja::context;
use zip::write::SimpleFileOptions;

use super::db::ClipInfo;
use super::render;
use crate::i18n::Lang;

/// Builds the zip in memory. `read` gives a clip's video bytes.
pub fn build(
    clips: &[ClipInfo],
    lang: Lang,
    made_by: &str,
    when: &str,
    read: impl Fn(&ClipInfo) -> std::io::Result<Vec<u8>>,
) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // MP4 is compressed already: store it.
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut entries = Vec::new();
    for (i, c) in clips.iter().enumerate() {
        let file = format!("clips/{:02}-{}-{}.mp4", i + 1, c.window, c.rule);
        zip.start_file(&file, opts)?;
        zip.write_all(&read(c)?)?;
        entries.push(serde_json::json!({
            "file": file, "rule_name": render::rule_name_str(&c.rule, lang), "hall": c.hall, "window_name": c.window_name,
            "when": c.event_start.replace('T', " "), "notes": c.notes, "tags": c.tags,
        }));
    }
    let index = render::env()
        .get_template("pack_index.html")?
        .render(context! { lang => lang.code(), tr => lang.table(), clips => entries, made => when, made_by => made_by })?;
    zip.start_file("index.html", opts)?;
    zip.write_all(index.as_bytes())?;
    Ok(zip.finish()?.into_inner())
}
