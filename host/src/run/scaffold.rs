//! `wharf plugin new`: a plugin project ready to build and test, made from the templates and
//! SDKs this binary carries, with nothing in it that points into Wharf's own source tree.
//!
//! A project is the template of its language and role (`plugin-sdk/templates/<lang>/common/`
//! overlaid by `plugin-sdk/templates/<lang>/<role>/`) with its placeholders filled in. A Rust
//! project depends on the SDK by version; since the SDK is not on crates.io, the SDK's crates
//! are unpacked into the user's cache and the project's `.cargo/config.toml` patches the
//! dependency to them. A Python, JavaScript or C project gets a vendored copy of its SDK
//! (`plugin-sdk/<lang>/` without its `tests/`) and of the contract under `wit/`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::{Exit, Failure, unusable};
use crate::plugin::Role;

/// Files embedded by the build script, by path from the repository root.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
}

/// The SDK version projects depend on.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the templates are, among the embedded files.
const TEMPLATES: &str = "plugin-sdk/templates";
/// Names the folder the Rust SDK is unpacked to instead of the user's cache.
pub const SDK_DIR_VARIABLE: &str = "WHARF_SDK_DIR";

/// A language plugins are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Rust, with the `wharf-plugin-sdk` crate.
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// JavaScript, built with componentize-js.
    Js,
    /// C, built with clang for wasm32-wasi.
    C,
}

impl Language {
    /// Every language, in the order `wharf plugin new --help` lists them.
    pub const ALL: [Language; 4] = [Language::Rust, Language::Python, Language::Js, Language::C];

    /// The name of its folders under `plugin-sdk/` and `plugin-sdk/templates/`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::Js => "js",
            Language::C => "c",
        }
    }

    /// Whether this binary carries templates for the language.
    pub fn has_templates(self) -> bool {
        let prefix = format!("{TEMPLATES}/{}/", self.name());
        embedded::EMBEDDED_FILES.iter().any(|(path, _)| path.starts_with(&prefix))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A project `wharf plugin new` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project's folder.
    pub dir: PathBuf,
    /// The plugin's name.
    pub name: String,
    /// The files written, relative to `dir`, sorted.
    pub files: Vec<PathBuf>,
}

/// Makes a `language` plugin project for `role` in the new folder `dir`, whose last component
/// is the plugin's name. Refuses a bad name (a usage error) and a folder that exists with
/// anything in it. `sdk_dir` is where a Rust project's SDK is unpacked (default:
/// [`default_sdk_dir`]).
pub fn create(dir: &Path, role: Role, language: Language, sdk_dir: Option<&Path>) -> Result<Project, Failure> {
    let name = plugin_name(dir).map_err(|error| Failure::new(Exit::Usage, error))?;
    fill_folder(dir, &name, role, language, sdk_dir).map_err(unusable)
}

fn fill_folder(dir: &Path, name: &str, role: Role, language: Language, sdk_dir: Option<&Path>) -> Result<Project> {
    refuse_used_folder(dir)?;
    let files = project_files(name, role, language)?;
    let sdk = match language {
        Language::Rust => {
            let sdk_dir = match sdk_dir {
                Some(dir) => std::path::absolute(dir)?,
                None => default_sdk_dir()?,
            };
            unpack_rust_sdk(&sdk_dir)?;
            Some(sdk_dir)
        }
        _ => None,
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for (relative, content) in &files {
        write_file(&dir.join(relative), content)?;
        written.push(relative.clone());
    }
    if let Some(sdk_dir) = sdk {
        let config = PathBuf::from(".cargo/config.toml");
        write_file(&dir.join(&config), cargo_config(&sdk_dir).as_bytes())?;
        written.push(config);
    }
    written.sort();
    Ok(Project { dir: dir.to_owned(), name: name.to_owned(), files: written })
}

/// The plugin name `dir` ends in, checked as manifests and cargo want it: a lowercase letter,
/// then lowercase letters, digits and single `-`, at most 64 in all.
fn plugin_name(dir: &Path) -> Result<String> {
    let Some(name) = dir.file_name().and_then(|name| name.to_str()) else {
        bail!("{} does not end in a plugin name", dir.display());
    };
    let well_formed = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        bail!(
            "{name:?} is not a plugin name: use 1-64 lowercase letters, digits and '-', starting with a letter \
             (e.g. partner-orders-mapper)"
        );
    }
    Ok(name.to_owned())
}

/// Refuses `dir` when it is a file or a folder with anything in it: a scaffold never
/// overwrites work.
fn refuse_used_folder(dir: &Path) -> Result<()> {
    if dir.is_file() {
        bail!("{} is a file; name a new folder", dir.display());
    }
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        bail!("{} already exists and is not empty; name a new folder", dir.display());
    }
    Ok(())
}

/// The project's files, by path relative to its folder, with placeholders filled in.
fn project_files(name: &str, role: Role, language: Language) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    if !language.has_templates() {
        let available: Vec<&str> =
            Language::ALL.iter().filter(|language| language.has_templates()).map(|language| language.name()).collect();
        bail!("this wharf has no {language} templates (it has: {})", available.join(", "));
    }
    let placeholders = [
        ("{{name}}", name.to_owned()),
        ("{{snake_name}}", name.replace('-', "_")),
        ("{{sdk_version}}", SDK_VERSION.to_owned()),
    ];
    let fill = |text: &str| placeholders.iter().fold(text.to_owned(), |text, (from, to)| text.replace(from, to));
    let mut files = BTreeMap::new();
    // The role's files last, so they win over common ones of the same path.
    for folder in ["common", role.name()] {
        for (relative, content) in embedded_under(&format!("{TEMPLATES}/{language}/{folder}/")) {
            let content = match std::str::from_utf8(content) {
                Ok(text) => fill(text).into_bytes(),
                Err(_) => content.to_vec(),
            };
            files.insert(PathBuf::from(fill(relative)), content);
        }
    }
    if !files.keys().any(|path| path.starts_with("cases")) {
        bail!("this wharf's {language} templates have no {role} plugin");
    }
    if language != Language::Rust {
        // The vendored SDK and contract the template's build command reads.
        for (relative, content) in embedded_under(&format!("plugin-sdk/{language}/")) {
            if !relative.starts_with("tests/") {
                files.entry(PathBuf::from(relative)).or_insert_with(|| content.to_vec());
            }
        }
        files.insert(PathBuf::from("wit/wharf.wit"), contract().to_vec());
    }
    Ok(files)
}

/// The embedded files under `prefix`, by path relative to it.
fn embedded_under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    embedded::EMBEDDED_FILES.iter().filter_map(move |(path, content)| Some((path.strip_prefix(prefix)?, *content)))
}

/// The contract, `wit/wharf.wit`.
fn contract() -> &'static [u8] {
    embedded::EMBEDDED_FILES
        .iter()
        .find(|(path, _)| *path == "wit/wharf.wit")
        .map(|(_, content)| *content)
        .unwrap_or_default()
}

/// Where a Rust project's SDK is unpacked unless told otherwise: `$WHARF_SDK_DIR`, else
/// `wharf/sdk/<version>` in the user's cache (`$XDG_CACHE_HOME`, else `~/.cache`).
pub fn default_sdk_dir() -> Result<PathBuf> {
    let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    if let Some(dir) = absolute(SDK_DIR_VARIABLE) {
        return Ok(dir);
    }
    let cache = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".cache")));
    let Some(cache) = cache else {
        bail!("no cache folder for the SDK: set HOME, XDG_CACHE_HOME or {SDK_DIR_VARIABLE} to an absolute path");
    };
    Ok(cache.join("wharf").join("sdk").join(SDK_VERSION))
}

/// Unpacks the Rust SDK's two crates (`wharf-plugin-sdk` and, in `macros/`, its macros) into
/// `sdk_dir`. A file already there with the same content is left alone, so projects building
/// against it rebuild nothing; a different one is replaced by rename, so a build reading it
/// never sees half a file.
pub fn unpack_rust_sdk(sdk_dir: &Path) -> Result<()> {
    let crates = embedded_under("plugin-sdk/").filter(|(relative, _)| {
        *relative == "Cargo.toml" || relative.starts_with("src/") || relative.starts_with("macros/")
    });
    for (relative, content) in crates {
        let path = sdk_dir.join(relative);
        if std::fs::read(&path).is_ok_and(|old| old == content) {
            continue;
        }
        let folder = path.parent().unwrap_or(sdk_dir);
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        let mut staged =
            tempfile::NamedTempFile::new_in(folder).with_context(|| format!("cannot write in {}", folder.display()))?;
        staged.write_all(content)?;
        staged.persist(&path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The project's `.cargo/config.toml`: the SDK dependency resolved to the unpacked crates.
fn cargo_config(sdk_dir: &Path) -> String {
    let path = toml::Value::String(sdk_dir.display().to_string());
    format!(
        "# Written by `wharf plugin new`: the Wharf plugin SDK is not on crates.io, so the\n\
         # `wharf-plugin-sdk = \"{SDK_VERSION}\"` dependency resolves to the copy wharf unpacked here.\n\
         # On another machine, any `wharf plugin new` unpacks it there again.\n\
         [patch.crates-io]\n\
         wharf-plugin-sdk = {{ path = {path} }}\n"
    )
}

/// Writes `content` to `path`, creating its folders.
fn write_file(path: &Path, content: &[u8]) -> Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// What `wharf plugin new` prints: what it made and the command to run next.
pub fn describe(project: &Project, role: Role, language: Language, out: &mut dyn Write) -> std::io::Result<()> {
    let dir = project.dir.display();
    writeln!(out, "created {dir}: the {language} {role} plugin {}", project.name)?;
    for file in &project.files {
        writeln!(out, "  {}", file.display())?;
    }
    writeln!(out, "next: cd {dir} && wharf plugin test")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plugin_names() {
        for good in ["x", "orders-mapper", "m2"] {
            assert_eq!(plugin_name(Path::new(good)).expect(good), good);
        }
        assert_eq!(plugin_name(Path::new("some/where/orders")).expect("a path"), "orders");
        for bad in ["Orders", "2fast", "-x", "x-", "a--b", "my_plugin", "x.y", ""] {
            let error = plugin_name(Path::new(bad)).expect_err(bad).to_string();
            assert!(error.contains("plugin name"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_rust_role_has_a_template_with_a_case() {
        for role in Role::ALL {
            let files = project_files("my-plugin", role, Language::Rust).expect("rust templates");
            let manifest = String::from_utf8(files[Path::new("wharf-plugin.toml")].clone()).expect("utf-8");
            assert!(manifest.contains("name = \"my-plugin\""), "{manifest}");
            assert!(files.keys().any(|path| path.starts_with("cases")), "{role}: {:?}", files.keys());
            let cargo = String::from_utf8(files[Path::new("Cargo.toml")].clone()).expect("utf-8");
            assert!(cargo.contains(&format!("wharf-plugin-sdk = \"{SDK_VERSION}\"")), "{cargo}");
        }
    }

    #[test]
    fn the_unpacked_sdk_holds_both_crates_and_the_contract() {
        let dir = tempfile::tempdir().expect("tempdir");
        unpack_rust_sdk(dir.path()).expect("unpacks");
        for file in ["Cargo.toml", "src/lib.rs", "macros/Cargo.toml", "macros/src/lib.rs", "macros/wit/wharf.wit"] {
            assert!(dir.path().join(file).is_file(), "{file} missing");
        }
        // Unpacking again leaves equal files alone.
        let before = std::fs::metadata(dir.path().join("src/lib.rs")).and_then(|meta| meta.modified()).expect("mtime");
        unpack_rust_sdk(dir.path()).expect("unpacks again");
        let after = std::fs::metadata(dir.path().join("src/lib.rs")).and_then(|meta| meta.modified()).expect("mtime");
        assert_eq!(before, after);
    }
}
