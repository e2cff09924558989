//! XSLT stylesheets a data project applies to whole documents: files of the deployment's
//! `stylesheets/` folder, run in order by the built-in XSLT transform plugin (`xslt`, libxslt
//! compiled to WebAssembly), so customer-supplied stylesheets never run as native code.
//!
//! The plugin sees the folder's files and nothing else: the host hands them over as the
//! call's `config` values (`xslt.file:<relative path>`), which is how `xsl:include`,
//! `xsl:import` and `document()` resolve; there is no file system, network or entity fetch
//! behind them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use wharf_plugin_sdk::{Context, Document};

use super::Pipeline;
use crate::plugin::Role;

/// The deployment folder stylesheets are read from, beside `projects/`.
pub const STYLESHEET_DIR: &str = "stylesheets";

/// The name of the built-in XSLT transform plugin.
pub const XSLT_PLUGIN: &str = "xslt-transform";

/// What to do when the XSLT transform is missing: the one command that builds it where every
/// deployment of this user finds it (see [`crate::deployment::Settings::builtins`]).
pub const XSLT_BUILD: &str = "stylesheets run in the built-in XSLT transform; build it once with \
     `wharf plugin build plugins/xslt-transform --out ~/.cache/wharf/plugins` (or into the deployment's \
     plugin directory)";

/// Most bytes the stylesheet folder may hold: all of it goes into every call.
const MAX_FOLDER_BYTES: u64 = 16 * 1024 * 1024;

/// Most files (and folders) the stylesheet folder may hold.
const MAX_FOLDER_FILES: usize = 1_000;

/// Applies `names` in order to `document`, each in its own call of the XSLT plugin with its
/// own limits. A failure names the stylesheet, and the engine's message names its line.
pub fn apply(
    pipeline: &Pipeline,
    folder: &Path,
    names: &[String],
    context: &Context,
    mut document: Document,
) -> Result<Document> {
    if names.is_empty() {
        return Ok(document);
    }
    let plugin = pipeline.plugin(XSLT_PLUGIN, Role::Transform).context(XSLT_BUILD)?;
    let mut config = Arc::new(read_folder(folder)?);
    for name in names {
        choose(&mut config, folder, name)?;
        document = plugin
            .transform_with_config(context, document, Some(config.clone()))
            .map_err(|error| anyhow::anyhow!("stylesheet {name} failed: {error}"))?;
    }
    Ok(document)
}

/// The config key prefix the plugin reads files under.
const FILE_KEY: &str = "xslt.file:";

/// The config key naming the stylesheet a call applies.
const STYLESHEET_KEY: &str = "xslt.stylesheet";

/// Makes `config`, the files of `folder` as [`read_folder`] read them, the call config that
/// applies stylesheet `name`: what
/// [`Plugin::transform_with_config`](crate::plugin::Plugin::transform_with_config) of the XSLT
/// plugin takes. The files are copied only while an earlier call still holds them, so the
/// stylesheets of one document share one copy of the folder.
pub fn choose(config: &mut Arc<HashMap<String, String>>, folder: &Path, name: &str) -> Result<()> {
    if !config.contains_key(&format!("{FILE_KEY}{name}")) {
        bail!("stylesheet {name} is not in {}", folder.display());
    }
    Arc::make_mut(config).insert(STYLESHEET_KEY.into(), name.to_owned());
    Ok(())
}

/// Every file of `folder`, keyed `xslt.file:<path relative to the folder, with '/'>`, within
/// the folder's limits on files and bytes.
pub fn read_folder(folder: &Path) -> Result<HashMap<String, String>> {
    let mut files = HashMap::new();
    let mut total = 0u64;
    let mut pending: Vec<PathBuf> = vec![folder.to_owned()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read the stylesheet folder {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
            seen += 1;
            if seen > MAX_FOLDER_FILES {
                bail!("the stylesheet folder {} holds more than {MAX_FOLDER_FILES} files", folder.display());
            }
            // Symbolic links are not followed: the folder's own files are all there is.
            let kind = entry.file_type().with_context(|| format!("cannot read {}", entry.path().display()))?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let relative = path.strip_prefix(folder).context("a stylesheet outside its folder")?;
            let Some(relative) = relative.to_str() else { continue };
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            total += bytes.len() as u64;
            if total > MAX_FOLDER_BYTES {
                bail!("the stylesheet folder {} holds more than {MAX_FOLDER_BYTES} bytes", folder.display());
            }
            // Files the engine cannot be handed (not UTF-8) are left out; a stylesheet that
            // names one is told it is not in the folder.
            let Ok(text) = String::from_utf8(bytes) else { continue };
            files.insert(format!("{FILE_KEY}{}", relative.replace(std::path::MAIN_SEPARATOR, "/")), text);
        }
    }
    Ok(files)
}
