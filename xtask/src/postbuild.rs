//! `cargo xtask post-build`: Trunk's post_build hook (Trunk.toml), so a plain `trunk build` does
//! it too (issue 16). Run in Trunk's staging folder before it becomes `dist/`:
//!
//! * puts the chapter, prerendered by build.rs (build/prerender.rs), into `index.html`'s
//!   `<article data-prerender-chapter>`, so a learner reads while the wasm downloads;
//! * in release builds only, writes a brotli (quality 11) and a gzip (best) twin beside every
//!   `.wasm .js .mjs .css .html .svg .ico .json` file (`X.br`, `X.gz`; the originals stay), which the
//!   greeting server sends by `Accept-Encoding`. A twin that is not smaller is not written.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::proc::{root, Result};

/// The empty element in index.html that the prerendered chapter fills.
pub const CHAPTER_SLOT: &str =
    "<article class=\"chapter\" aria-label=\"Chapter\" data-prerender-chapter></article>";

/// File types that get compressed twins.
pub const COMPRESSIBLE: &[&str] = &["wasm", "js", "mjs", "css", "html", "svg", "ico", "json"];

/// Trunk's hook environment: `TRUNK_STAGING_DIR`, `TRUNK_PROFILE` (`release` or `debug`).
pub fn run_hook() -> Result {
    let staging = std::env::var_os("TRUNK_STAGING_DIR")
        .map(PathBuf::from)
        .ok_or("post-build runs as Trunk's post_build hook (TRUNK_STAGING_DIR is not set)")?;
    let release = std::env::var("TRUNK_PROFILE").is_ok_and(|p| p == "release");
    let chapter_path = prerendered_chapter_path();
    let chapter = fs::read_to_string(&chapter_path).map_err(|e| {
        format!(
            "reading the prerendered chapter {}: {e} (build.rs writes it when the page is built)",
            chapter_path.display()
        )
    })?;
    let index = staging.join("index.html");
    let html =
        fs::read_to_string(&index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let html = fill_chapter_slot(&html, &chapter)?;
    fs::write(&index, html).map_err(|e| format!("writing {}: {e}", index.display()))?;
    if release {
        let written = write_twins(&staging)?;
        println!(
            "post-build: prerendered chapter in index.html; {written} compressed twins written"
        );
    } else {
        println!("post-build: prerendered chapter in index.html (no twins outside release builds)");
    }
    Ok(())
}

/// Where build.rs leaves the prerendered chapter: `<target dir>/prerender/chapter.html`.
fn prerendered_chapter_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("prerender").join("chapter.html")
}

/// index.html with the chapter inside its slot.
pub fn fill_chapter_slot(html: &str, chapter: &str) -> Result<String> {
    let at = html
        .find(CHAPTER_SLOT)
        .ok_or_else(|| format!("index.html has no `{CHAPTER_SLOT}` for the prerendered chapter"))?;
    let inner = at + CHAPTER_SLOT.len() - "</article>".len();
    Ok(format!("{}{chapter}{}", &html[..inner], &html[inner..]))
}

/// Brotli and gzip twins of every compressible file under `dir`; returns how many were written.
pub fn write_twins(dir: &Path) -> Result<usize> {
    let mut written = 0;
    for path in files_under(dir)? {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let data = fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        for (suffix, packed) in [("br", brotli_best(&data)?), ("gz", gzip_best(&data)?)] {
            if packed.len() >= data.len() {
                continue;
            }
            let mut twin = path.clone().into_os_string();
            twin.push(".");
            twin.push(suffix);
            let twin = PathBuf::from(twin);
            fs::write(&twin, packed).map_err(|e| format!("writing {}: {e}", twin.display()))?;
            written += 1;
        }
    }
    Ok(written)
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Brotli at quality 11 (the slowest and smallest; it runs once per release build).
pub fn brotli_best(data: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

/// gzip at its best compression.
pub fn gzip_best(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).map_err(|e| format!("gzip: {e}"))?;
    enc.finish().map_err(|e| format!("gzip: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_chapter_goes_inside_its_slot() {
        let html = format!("<body>{CHAPTER_SLOT}<section></section></body>");
        let out = fill_chapter_slot(&html, "<p>Hi</p>").unwrap();
        assert_eq!(
            out,
            "<body><article class=\"chapter\" aria-label=\"Chapter\" data-prerender-chapter><p>Hi</p></article><section></section></body>"
        );
        assert!(fill_chapter_slot("<body></body>", "<p>Hi</p>")
            .unwrap_err()
            .contains("data-prerender-chapter"));
    }

    #[test]
    fn twins_decompress_to_the_original_and_only_compressible_smaller_files_get_them() {
        let dir = std::env::temp_dir().join(format!("xtask-twins-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("snippets")).unwrap();
        let text = "let greeting = 'Welcome, cobra!';\n".repeat(200);
        fs::write(dir.join("app.js"), &text).unwrap();
        fs::write(dir.join("snippets").join("x.css"), &text).unwrap();
        fs::write(dir.join("tiny.svg"), "<svg/>").unwrap();
        fs::write(dir.join("notes.txt"), &text).unwrap();

        assert_eq!(write_twins(&dir).unwrap(), 4);
        let mut unbrotli = String::new();
        brotli::Decompressor::new(&fs::read(dir.join("app.js.br")).unwrap()[..], 4096)
            .read_to_string(&mut unbrotli)
            .unwrap();
        assert_eq!(unbrotli, text);
        let mut ungzip = String::new();
        flate2::read::GzDecoder::new(&fs::read(dir.join("snippets/x.css.gz")).unwrap()[..])
            .read_to_string(&mut ungzip)
            .unwrap();
        assert_eq!(ungzip, text);
        assert!(dir.join("snippets/x.css.br").is_file());
        assert!(dir.join("app.js.gz").is_file());
        assert!(
            !dir.join("tiny.svg.br").exists(),
            "a twin that is not smaller is left out"
        );
        assert!(
            !dir.join("notes.txt.gz").exists(),
            "txt is not in COMPRESSIBLE"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
