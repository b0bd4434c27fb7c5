//! The built app on disk (Trunk's `dist/`): the server sends each file's Brotli (`.br`) or
//! gzip (`.gz`) copy, written beside it by `cargo xtask build-app`, to browsers that accept
//! one. A copy that is not its file any more (the file was edited or rebuilt without the
//! copies) would send browsers the old app, so `doorstep serve` checks every copy first. A
//! `.br` or `.gz` file with no file beside it is a file of its own, and is left alone.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why the built app cannot be served as it is.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// A folder or file could not be read.
    #[error("{path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A compressed copy that is not, or no longer, its file.
    #[error("{copy} is not a compressed copy of {file} (the file changed since the copy was made); build the app again (cargo xtask build-app) or delete the copy")]
    Stale { copy: PathBuf, file: PathBuf },
}

/// Checks that every `.br` and `.gz` file under `dir` decompresses to the file beside it
/// without that suffix. Returns how many copies were checked.
pub fn check_compressed_copies(dir: &Path) -> Result<usize, ShellError> {
    let mut checked = 0;
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ShellError::Unreadable { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable(dir))? {
        let entry = entry.map_err(unreadable(dir))?;
        let path = entry.path();
        // Not followed through links, so a link that loops cannot make this run for ever.
        let kind = entry.file_type().map_err(unreadable(&path))?;
        if kind.is_dir() {
            checked += check_compressed_copies(&path)?;
            continue;
        }
        let extension = path.extension().and_then(|e| e.to_str());
        let (Some(extension @ ("br" | "gz")), Some(stem)) = (extension, path.file_stem()) else {
            continue;
        };
        // Without a file beside it, it is not a copy of anything: a file of its own.
        let file = path.with_file_name(stem);
        if !file.is_file() {
            continue;
        }
        let original = std::fs::read(&file).map_err(unreadable(&file))?;
        let compressed = std::fs::read(&path).map_err(unreadable(&path))?;
        let mut decoded = Vec::with_capacity(original.len());
        let decoded_ok = match extension {
            "br" => brotli::BrotliDecompress(&mut &compressed[..], &mut decoded).is_ok(),
            _ => flate2::read::GzDecoder::new(&compressed[..])
                .read_to_end(&mut decoded)
                .is_ok(),
        };
        if !decoded_ok || decoded != original {
            return Err(ShellError::Stale { copy: path, file });
        }
        checked += 1;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(body: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body).expect("gzip");
        e.finish().expect("gzip")
    }

    fn brotli(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::BrotliCompress(&mut &body[..], &mut out, &Default::default()).expect("brotli");
        out
    }

    #[test]
    fn copies_of_their_files_pass_and_stale_ones_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sw = dir.path().join("sw.js");
        std::fs::write(&sw, "const VERSION = \"one\";").expect("write");
        std::fs::write(
            dir.path().join("sw.js.br"),
            brotli(b"const VERSION = \"one\";"),
        )
        .expect("write");
        std::fs::write(
            dir.path().join("sw.js.gz"),
            gzip(b"const VERSION = \"one\";"),
        )
        .expect("write");
        std::fs::create_dir(dir.path().join("assets")).expect("mkdir");
        std::fs::write(dir.path().join("assets/a.css"), "p{}").expect("write");
        std::fs::write(dir.path().join("assets/a.css.gz"), gzip(b"p{}")).expect("write");
        assert_eq!(check_compressed_copies(dir.path()).expect("all current"), 3);

        // The worker edited after its copies were made.
        std::fs::write(&sw, "const VERSION = \"two\";").expect("write");
        match check_compressed_copies(dir.path()) {
            Err(ShellError::Stale { copy, file }) => {
                assert_eq!(file, sw);
                assert!(copy == dir.path().join("sw.js.br") || copy == dir.path().join("sw.js.gz"));
            }
            other => panic!("expected a stale copy, got {other:?}"),
        }
        // Not compressed data at all.
        std::fs::write(dir.path().join("sw.js.br"), "not brotli").expect("write");
        std::fs::write(
            dir.path().join("sw.js.gz"),
            gzip(b"const VERSION = \"two\";"),
        )
        .expect("write");
        assert!(matches!(
            check_compressed_copies(dir.path()),
            Err(ShellError::Stale { .. })
        ));
        std::fs::remove_file(dir.path().join("sw.js.br")).expect("remove");
        assert_eq!(
            check_compressed_copies(dir.path()).expect("current again"),
            2
        );

        // A compressed file with nothing beside it is a file of its own, not a copy.
        std::fs::remove_file(dir.path().join("assets/a.css")).expect("remove");
        assert_eq!(check_compressed_copies(dir.path()).expect("not a copy"), 1);

        // The error names the copy and the file.
        std::fs::write(&sw, "const VERSION = \"three\";").expect("write");
        let err = check_compressed_copies(dir.path()).expect_err("stale");
        assert!(err.to_string().contains("sw.js.gz"), "{err}");
    }
}
