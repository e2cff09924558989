//! Cleans a partner's text export before Wharf parses it: drops comment lines (starting with
//! the configured prefix) and blank lines, and trims trailing spaces, so the CSV reader sees
//! only the header and the records.

use wharf_plugin_sdk::{Context, Document, PluginError, Transform, host};

/// The plugin.
pub struct Plugin;

impl Transform for Plugin {
    fn transform(_ctx: &Context, input: Document) -> Result<Document, PluginError> {
        let comment_prefix = host::config("comment_prefix").unwrap_or_else(|| "#".into());
        let text = std::str::from_utf8(&input.content)
            .map_err(|error| PluginError::new(format!("the document is not UTF-8 text: {error}")))?;
        let mut content = String::with_capacity(text.len());
        for line in text.lines().map(str::trim_end) {
            if line.is_empty() || line.trim_start().starts_with(comment_prefix.as_str()) {
                continue;
            }
            content.push_str(line);
            content.push('\n');
        }
        Ok(Document { format: input.format, name: input.name, content: content.into_bytes() })
    }
}

wharf_plugin_sdk::export_transform!(Plugin);

#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::testing::TestHost;
    use wharf_plugin_sdk::{Context, Document, Transform};

    use super::Plugin;

    #[test]
    fn drops_comments_and_blank_lines() {
        // The manifest's config, as the host would give it.
        let _host = TestHost::new().config("comment_prefix", "//").install();
        let input = Document {
            format: "csv".into(),
            name: Some("export.csv".into()),
            content: b"// exported 2026-12-01\nid,name  \n\n1,Contoso\r\n  // end\n".to_vec(),
        };
        let output = Plugin::transform(&Context::default(), input).expect("the document transforms");
        assert_eq!(String::from_utf8(output.content).expect("UTF-8"), "id,name\n1,Contoso\n");
        assert_eq!(output.name.as_deref(), Some("export.csv"));
    }

    #[test]
    fn refuses_a_document_that_is_not_text() {
        let input = Document { format: "csv".into(), name: None, content: vec![0xff, 0xfe, 0x00] };
        let error = Plugin::transform(&Context::default(), input).expect_err("not UTF-8");
        assert!(error.message.contains("not UTF-8"), "{error}");
    }
}
