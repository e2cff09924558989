//! The built-in XSLT 1.0 transform: libxslt and libxml2, compiled to WebAssembly, applying one
//! stylesheet of the deployment's stylesheet folder to a document.
//!
//! The host names the stylesheet in `config("xslt.stylesheet")` and serves each file of the
//! folder as `config("xslt.file:<relative path>")`; that is all the engine can read. Includes,
//! imports and `document()` resolve through it, and anything outside the folder is refused.

use std::ffi::{CStr, CString, c_char, c_int};

use wharf_plugin_sdk::{Context, Document, PluginError, Transform, host};

/// The plugin.
pub struct Xslt;

/// Config key naming the stylesheet to apply.
const STYLESHEET_KEY: &str = "xslt.stylesheet";
/// Config key prefix under which the host serves the folder's files.
const FILE_KEY: &str = "xslt.file:";

#[repr(C)]
struct ApplyResult {
    failed: c_int,
    output: *mut u8,
    output_length: c_int,
    error: *const c_char,
}

unsafe extern "C" {
    fn wharf_xslt_apply(name: *const c_char, input: *const u8, input_length: usize, result: *mut ApplyResult);
    fn wharf_xslt_free_output(output: *mut u8);
}

/// Serves a file of the stylesheet folder to the engine, or null when the host has none.
///
/// # Safety
/// `name` is a NUL-terminated string and `len` a valid pointer, as the bridge passes them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wharf_xslt_file(name: *const c_char, len: *mut usize) -> *mut u8 {
    // SAFETY: the bridge passes a NUL-terminated URI it owns for the duration of the call.
    let Ok(name) = unsafe { CStr::from_ptr(name) }.to_str() else { return std::ptr::null_mut() };
    let Some(text) = host::config(&format!("{FILE_KEY}{name}")) else { return std::ptr::null_mut() };
    let bytes = text.into_bytes().into_boxed_slice();
    // SAFETY: `len` points at the bridge's local.
    unsafe { *len = bytes.len() };
    Box::into_raw(bytes).cast::<u8>()
}

/// Frees what `wharf_xslt_file` returned.
///
/// # Safety
/// `bytes` and `len` are exactly what `wharf_xslt_file` returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wharf_xslt_free_file(bytes: *mut u8, len: usize) {
    // SAFETY: rebuilds the box `wharf_xslt_file` leaked, with its length.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes, len)) });
}

impl Transform for Xslt {
    fn transform(_ctx: &Context, input: Document) -> Result<Document, PluginError> {
        let name = host::config(STYLESHEET_KEY)
            .ok_or_else(|| PluginError::new("no stylesheet named: the host sets xslt.stylesheet"))?;
        let c_name = CString::new(name.clone()).map_err(|_| PluginError::new("a stylesheet name holds NUL"))?;
        let mut result =
            ApplyResult { failed: 1, output: std::ptr::null_mut(), output_length: 0, error: std::ptr::null() };
        // SAFETY: every pointer is valid for the call; the bridge fills `result`.
        unsafe { wharf_xslt_apply(c_name.as_ptr(), input.content.as_ptr(), input.content.len(), &mut result) };
        if result.failed != 0 {
            let error = if result.error.is_null() {
                String::new()
            } else {
                // SAFETY: the bridge's error text is NUL-terminated static storage.
                unsafe { CStr::from_ptr(result.error) }.to_string_lossy().into_owned()
            };
            return Err(PluginError::new(format!("stylesheet {name}: {}", tidy(&error))));
        }
        let length = usize::try_from(result.output_length).unwrap_or(0);
        // SAFETY: the bridge returns `output_length` bytes it allocated; copied, then freed.
        let content = unsafe { std::slice::from_raw_parts(result.output, length) }.to_vec();
        // SAFETY: `output` came from libxml2's allocator, freed once.
        unsafe { wharf_xslt_free_output(result.output) };
        Ok(Document { format: "xml".into(), name: input.name, content })
    }
}

/// The engine's report on one line per fault, without its trailing newline.
fn tidy(error: &str) -> String {
    let lines: Vec<&str> = error.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    if lines.is_empty() { "failed with no message".into() } else { lines.join("; ") }
}

wharf_plugin_sdk::export_transform!(Xslt);
