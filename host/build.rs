//! Lists the files `wharf plugin new` copies into a new plugin project (the contract, the SDKs
//! and the templates) so the binary carries them: `$OUT_DIR/embedded_files.rs` holds one
//! `include_bytes!` per file, keyed by its path relative to the repository root.
//!
//! A list made here rather than a directory-embedding macro, because such a macro neither
//! notices a file added to a template folder nor leaves out what tools leave beside sources
//! (Python's `__pycache__`, `node_modules`, build output).
//!
//! It also has Cargo rebuild the crate when a schema migration is added under `migrations/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What is embedded, relative to the repository root: folders whole, or single files.
const EMBEDDED: [&str; 8] = [
    "wit/wharf.wit",
    "plugin-sdk/Cargo.toml",
    "plugin-sdk/src",
    "plugin-sdk/macros",
    "plugin-sdk/templates",
    "plugin-sdk/python",
    "plugin-sdk/js",
    "plugin-sdk/c",
];

/// Folders never embedded: build output, caches and installed packages.
const SKIPPED_FOLDERS: [&str; 4] = ["target", "node_modules", "__pycache__", ".pytest_cache"];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is inside the repository").to_owned();
    let mut files = Vec::new();
    for entry in EMBEDDED {
        let path = root.join(entry);
        println!("cargo::rerun-if-changed={}", path.display());
        collect(&path, &mut files);
    }
    files.sort();
    // refinery's `embed_migrations!` reads the migration folders as the crate compiles but
    // names only the files it found to Cargo, so a migration added to a folder would go
    // unembedded until something else changed. Watching the folders here rebuilds the crate.
    println!("cargo::rerun-if-changed={}", Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").display());
    let mut list = String::from("/// Files a new plugin project is made from, by path from the repository root.\n");
    list.push_str("pub static EMBEDDED_FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
        writeln!(list, "    ({relative:?}, include_bytes!({:?})),", file.display().to_string()).expect("a string");
    }
    list.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_files.rs");
    std::fs::write(out, list).expect("OUT_DIR is writable");
}

/// Adds `path` (a file, or every file under a folder) to `files`; a missing path adds nothing.
fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_file() {
        files.push(path.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            if !SKIPPED_FOLDERS.contains(&name.as_str()) && !name.starts_with('.') {
                collect(&path, files);
            }
        } else if !name.ends_with(".pyc") {
            files.push(path);
        }
    }
}
