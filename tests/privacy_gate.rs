//! The redaction gate is the only way to pixels: no code outside
//! `src/privacy/` may encode or save an image. (The compiler enforces the
//! other half: `RedactedFrame` cannot be built outside `privacy`, see its
//! `compile_fail` doc test.)

use std::path::Path;

const WRITERS: &[&str] =
    &[".save(", ".save_with_format(", "write_to(", "ImageEncoder", "encode_image", "save_buffer", "write_image(", "jpeg_encoder"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_privacy_module_writes_images() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10);
    let mut writers_in_privacy = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let inside = f.starts_with(src.join("privacy"));
        for w in WRITERS {
            if text.contains(w) {
                assert!(inside, "{} calls {w}: every pixel write must go through privacy::RedactedFrame", f.display());
                writers_in_privacy += 1;
            }
        }
    }
    assert!(writers_in_privacy >= 1, "the privacy module is where images are written");
}
