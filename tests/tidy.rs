//! Repository rules that keep the code readable, checked under `cargo test`.

use std::path::{Path, PathBuf};

use wharf_tests::root;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_doc_comment_saying_what_it_is_for() {
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    assert!(files.len() > 20, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|file| !std::fs::read_to_string(file).expect("readable").starts_with("//!"))
        .map(|file| file.strip_prefix(root()).unwrap_or(file).display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading `//!` line: {missing:?}");
}

#[test]
fn the_sdk_carries_an_identical_copy_of_the_contract() {
    // The SDK's macros read their own copy so the SDK builds outside this repository; a
    // plugin built against a copy that drifted would disagree with the host it loads into.
    let contract = std::fs::read_to_string(root().join("wit/wharf.wit")).expect("wit/wharf.wit");
    let copy = std::fs::read_to_string(root().join("plugin-sdk/macros/wit/wharf.wit")).expect("the SDK's copy");
    assert!(
        copy == contract,
        "plugin-sdk/macros/wit/wharf.wit differs from wit/wharf.wit: copy it over \
         (cp wit/wharf.wit plugin-sdk/macros/wit/wharf.wit)"
    );
}
