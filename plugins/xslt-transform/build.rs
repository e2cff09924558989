//! Compiles libxml2, libxslt and their bridge (all under `c/`) to a static library for
//! `wasm32-wasi` with the clang that the `ziglang` package on PyPI ships, installing that
//! package first when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `ziglang` release every machine builds with, so the engine is the same everywhere.
const ZIGLANG: &str = "ziglang==0.17.1";

const LIBXML2: [&str; 25] = [
    "buf",
    "chvalid",
    "dict",
    "encoding",
    "entities",
    "error",
    "globals",
    "hash",
    "list",
    "parser",
    "parserInternals",
    "SAX2",
    "threads",
    "tree",
    "uri",
    "valid",
    "xmlIO",
    "xmlmemory",
    "xmlstring",
    "xmlsave",
    "pattern",
    "xpath",
    "xmlunicode",
    "HTMLparser",
    "HTMLtree",
];

fn main() {
    let c = Path::new(env!("CARGO_MANIFEST_DIR")).join("c");
    println!("cargo:rerun-if-changed={}", c.display());
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        // The host-side check of this crate (`cargo check` on the workspace) needs no engine.
        return;
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    ensure_zig(&python);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut sources: Vec<PathBuf> = LIBXML2.iter().map(|name| c.join("libxml2").join(format!("{name}.c"))).collect();
    let libxslt = c.join("libxslt/libxslt");
    let mut xslt_sources: Vec<PathBuf> = std::fs::read_dir(&libxslt)
        .expect("c/libxslt/libxslt is vendored")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .collect();
    xslt_sources.sort();
    sources.extend(xslt_sources);
    sources.push(c.join("wharf_xslt.c"));

    let objects: Vec<PathBuf> = sources.iter().map(|source| out.join(object_name(source))).collect();
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let jobs: Vec<(&PathBuf, &PathBuf)> = sources.iter().zip(&objects).collect();
    std::thread::scope(|scope| {
        for chunk in jobs.chunks(jobs.len().div_ceil(workers)) {
            let (python, c) = (&python, &c);
            scope.spawn(move || {
                for (source, object) in chunk {
                    compile(python, c, source, object);
                }
            });
        }
    });
    let library = out.join("libwharfxslt.a");
    let _ = std::fs::remove_file(&library);
    let status = Command::new(&python)
        .args(["-m", "ziglang", "ar", "rcs"])
        .arg(&library)
        .args(&objects)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "zig ar failed");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=wharfxslt");
    // libxslt recurses once per template level and libxml2 once per XPath step: a stack far
    // above Rust's 1 MiB default keeps deep (but bounded) recursion off the heap it sits below.
    println!("cargo:rustc-link-arg=-zstack-size=8388608");
}

fn object_name(source: &Path) -> String {
    let parent = source.parent().and_then(Path::file_name).and_then(|name| name.to_str()).unwrap_or("c");
    format!("{parent}-{}.o", source.file_stem().and_then(|stem| stem.to_str()).expect("a named source"))
}

fn compile(python: &str, c: &Path, source: &Path, object: &Path) {
    let output = Command::new(python)
        .args(["-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", "-DHAVE_CONFIG_H", "-w", "-c"])
        .arg(format!("-I{}", c.join("config").display()))
        .arg(format!("-I{}", c.join("libxml2/include").display()))
        .arg(format!("-I{}", c.join("libxml2").display()))
        .arg(format!("-I{}", c.join("libxslt").display()))
        .arg(source)
        .arg("-o")
        .arg(object)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "cannot compile {}: {}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Installs the `ziglang` package (a clang with a wasm32-wasi libc) when python cannot find it.
fn ensure_zig(python: &str) {
    let found = Command::new(python).args(["-m", "ziglang", "version"]).output();
    if found.is_ok_and(|output| output.status.success()) {
        return;
    }
    let status = Command::new(python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ZIGLANG])
        .status()
        .expect("python3 runs: the XSLT engine is compiled with the ziglang package from PyPI");
    assert!(status.success(), "pip install {ZIGLANG} failed: the XSLT engine needs its C compiler");
}
