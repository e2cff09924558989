//! The XML plumbing `Manifest.xml` and `PackageHeader.xml` share: decoding their bytes, walking
//! their elements with quick-xml, and writing them the way .NET's `DataContractSerializer` does.

use std::borrow::Cow;

use anyhow::{Context as _, Result, bail};
use quick_xml::XmlVersion;
use quick_xml::escape::{partial_escape, resolve_xml_entity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The namespace of every element of a package's XML files.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/dynamics/2015/01/DataManagement";

/// The XML Schema instance namespace, which carries `i:nil`.
pub const INSTANCE_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Turns a package XML file's bytes into text: UTF-16 (either byte order) or UTF-8 when it
/// starts with a byte order mark, UTF-8 when it has none.
///
/// D365 writes UTF-16 LE with a BOM; third-party tools write UTF-8, with or without a BOM.
/// UTF-16 without a BOM is refused rather than guessed: the XML declaration that would name
/// the encoding is optional, and a wrong guess reads as garbage element names.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes).context("invalid UTF-16 LE text");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes).context("invalid UTF-16 BE text");
    }
    let rest = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let [first, second, ..] = rest
        && (*first == 0) != (*second == 0)
    {
        bail!("the text looks like UTF-16 without a byte order mark; write it with a BOM (FF FE) or as UTF-8");
    }
    match std::str::from_utf8(rest) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => {
            let offset = error.valid_up_to() + (bytes.len() - rest.len());
            bail!("invalid UTF-8 at byte {offset}")
        }
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String> {
    let (pairs, remainder) = bytes.as_chunks::<2>();
    if !remainder.is_empty() {
        bail!("odd number of bytes");
    }
    let mut text = String::with_capacity(bytes.len());
    // Code units decoded so far, to say where a bad one is.
    let mut units: usize = 0;
    for decoded in char::decode_utf16(pairs.iter().map(|pair| unit(*pair))) {
        match decoded {
            Ok(character) => {
                text.push(character);
                units += character.len_utf16();
            }
            // The BOM is two bytes, and each unit two more.
            Err(_) => bail!("unpaired surrogate at byte {}", 2 + 2 * units),
        }
    }
    Ok(text)
}

/// An element the walker stopped at: its local name (the namespace prefix dropped, since D365
/// and third-party tools spell prefixes differently) and what its start tag says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The local name, e.g. `EntityName`.
    pub name: String,
    /// Whether it is written `<X/>`, so it has no content to read or skip.
    pub empty: bool,
    /// Whether it carries `i:nil="true"`: a null list or string.
    pub nil: bool,
}

/// Walks a package XML document element by element, so each type reads just the children it
/// knows and skips the rest, at any depth.
#[derive(Debug)]
pub struct DocumentReader<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    /// The elements handed out by [`next_child`](Self::next_child) and not yet ended, so a
    /// document cut off inside one is an error, not a shorter document.
    open: Vec<String>,
}

impl<'a> DocumentReader<'a> {
    /// A walker over `text`, positioned before the root element.
    pub fn new(text: &'a str) -> Self {
        Self { text, reader: Reader::from_str(text), open: Vec::new() }
    }

    /// Where byte `offset` of the decoded text is, as line and column: a byte offset would
    /// mislead for a UTF-16 file, and a line alone for D365's single-line files.
    fn position(&self, offset: u64) -> String {
        let offset = self.text.floor_char_boundary(usize::try_from(offset).unwrap_or(usize::MAX));
        let before = self.text.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
        format!("line {line}, column {column}")
    }

    /// The root element; it must be named one of `expected`.
    pub fn root(&mut self, expected: &[&str]) -> Result<Element> {
        let Some(root) = self.next_child()? else {
            bail!("the document has no root element");
        };
        if !expected.contains(&root.name.as_str()) {
            bail!("the root element is <{}>, expected <{}>", root.name, expected.join("> or <"));
        }
        Ok(root)
    }

    /// The next child element of the element being read, or `None` at its end (or at the end
    /// of a document that has ended every element it started; ending inside one is an error). Whitespace, comments and processing instructions
    /// between elements are passed over.
    pub fn next_child(&mut self) -> Result<Option<Element>> {
        loop {
            match self.event()? {
                Event::Start(start) => {
                    let element = element(&start, false)?;
                    self.open.push(element.name.clone());
                    return Ok(Some(element));
                }
                Event::Empty(start) => return Ok(Some(element(&start, true)?)),
                Event::End(_) => {
                    self.open.pop();
                    return Ok(None);
                }
                Event::Eof => match self.open.last() {
                    Some(name) => bail!("the document ends inside <{name}>"),
                    None => return Ok(None),
                },
                Event::Text(text) if text.xml10_content().trim().is_empty() => {}
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                    bail!("text between elements at {}", self.position(self.reader.buffer_position()))
                }
                // `event` refuses a DOCTYPE, so none gets here.
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
            }
        }
    }

    /// The text content of `element`, which the caller has just received from
    /// [`next_child`](Self::next_child). Character and predefined entity references are
    /// resolved; line breaks read as `\n`, as every XML parser (D365's included) reads them.
    pub fn text(&mut self, element: &Element) -> Result<String> {
        if element.empty {
            return Ok(String::new());
        }
        let mut content = String::new();
        loop {
            match self.event()? {
                Event::Text(text) => content.push_str(&text.xml10_content()),
                Event::CData(data) => content.push_str(&data.xml10_content()),
                Event::GeneralRef(reference) => {
                    if let Some(character) = reference.resolve_char_ref().context("invalid character reference")? {
                        content.push(character);
                    } else {
                        let name = reference.xml10_content();
                        match resolve_xml_entity(&name) {
                            Some(replacement) => content.push_str(replacement),
                            None => bail!("undefined entity &{name};"),
                        }
                    }
                }
                // XML has no way to write U+0000, not even as a reference: text holding it
                // could not be written back.
                Event::End(_) if content.contains('\0') => bail!("<{}> holds the character U+0000", element.name),
                Event::End(_) => {
                    self.open.pop();
                    return Ok(content);
                }
                Event::Start(child) | Event::Empty(child) => {
                    bail!("<{}> holds an element <{}> where text belongs", element.name, local_name(&child))
                }
                Event::Eof => bail!("the document ends inside <{}>", element.name),
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
            }
        }
    }

    /// The text of `element`, or `None` when it is `i:nil`.
    pub fn optional_text(&mut self, element: &Element) -> Result<Option<String>> {
        if element.nil {
            self.skip(element)?;
            return Ok(None);
        }
        self.text(element).map(Some)
    }

    /// Passes over `element` and everything inside it.
    pub fn skip(&mut self, element: &Element) -> Result<()> {
        if element.empty {
            return Ok(());
        }
        // A counter, not recursion, so a hostile nesting depth costs nothing but time.
        let mut depth: u64 = 1;
        while depth > 0 {
            match self.event()? {
                Event::Start(_) => depth = depth.saturating_add(1),
                Event::End(_) => depth -= 1,
                Event::Eof => bail!("the document ends inside <{}>", element.name),
                _ => {}
            }
        }
        self.open.pop();
        Ok(())
    }

    fn event(&mut self) -> Result<Event<'a>> {
        let event = self
            .reader
            .read_event()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("malformed XML at {}", self.position(self.reader.error_position())))?;
        if let Event::DocType(_) = event {
            // Entity declarations in a DTD are how billion-laughs and external-entity attacks
            // start; DataContractSerializer never writes one, so there is no reason to read it.
            bail!("the document has a DOCTYPE declaration; package XML files must not have one");
        }
        Ok(event)
    }
}

fn local_name(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_owned()
}

fn element(start: &BytesStart<'_>, empty: bool) -> Result<Element> {
    let name = local_name(start);
    let mut nil = false;
    for attribute in start.attributes() {
        let attribute =
            attribute.map_err(anyhow::Error::from).with_context(|| format!("malformed attribute of <{name}>"))?;
        if attribute.key.local_name().as_ref() == "nil" {
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("malformed i:nil of <{name}>"))?;
            nil = parse_boolean(&value).with_context(|| format!("invalid i:nil of <{name}>"))?;
        }
    }
    Ok(Element { name, empty, nil })
}

/// Parses an `xs:boolean`: `true`, `false`, `1` or `0`, with surrounding whitespace.
pub fn parse_boolean(text: &str) -> Result<bool> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => bail!("{other:?} is not a boolean (true or false)"),
    }
}

/// Parses an `xs:int`, with surrounding whitespace.
pub fn parse_integer(text: &str) -> Result<i32> {
    text.trim().parse().map_err(|_| anyhow::anyhow!("{text:?} is not an integer"))
}

/// Writes a package XML file as .NET's `DataContractSerializer` over `XmlTextWriter` does:
/// one line, no declaration, `<X />` for empty elements, `<X i:nil="true" />` for nulls, and
/// UTF-16 LE with a BOM at the end.
#[derive(Debug, Default)]
pub struct DocumentWriter {
    xml: String,
}

impl DocumentWriter {
    /// Opens the root element with the two namespace declarations, in D365's order.
    pub fn root(name: &str) -> Self {
        Self { xml: format!(r#"<{name} xmlns:i="{INSTANCE_NAMESPACE}" xmlns="{NAMESPACE}">"#) }
    }

    /// Opens an element that will hold children.
    pub fn start(&mut self, name: &str) {
        self.xml.push('<');
        self.xml.push_str(name);
        self.xml.push('>');
    }

    /// Closes an element opened with [`start`](Self::start) or [`root`](Self::root).
    pub fn end(&mut self, name: &str) {
        self.xml.push_str("</");
        self.xml.push_str(name);
        self.xml.push('>');
    }

    /// An element holding `text`; `<X />` when `text` is empty.
    pub fn text(&mut self, name: &str, text: &str) {
        if text.is_empty() {
            self.empty(name);
            return;
        }
        self.start(name);
        self.xml.push_str(&escape_text(text));
        self.end(name);
    }

    /// An element holding `text`, or `<X i:nil="true" />` for `None`.
    pub fn optional_text(&mut self, name: &str, text: Option<&str>) {
        match text {
            Some(text) => self.text(name, text),
            None => self.nil(name),
        }
    }

    /// An element holding `true` or `false`.
    pub fn boolean(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" });
    }

    /// An element holding a decimal integer.
    pub fn integer(&mut self, name: &str, value: i32) {
        self.text(name, &value.to_string());
    }

    /// A null: `<X i:nil="true" />`.
    pub fn nil(&mut self, name: &str) {
        self.xml.push('<');
        self.xml.push_str(name);
        self.xml.push_str(r#" i:nil="true" />"#);
    }

    /// An element with no content: `<X />`, with the space `XmlTextWriter` puts before `/>`.
    pub fn empty(&mut self, name: &str) {
        self.xml.push('<');
        self.xml.push_str(name);
        self.xml.push_str(" />");
    }

    /// The document as UTF-16 LE with a BOM, as `Encoding.Unicode` writes it.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(2 + 2 * self.xml.len());
        bytes.extend_from_slice(&[0xFF, 0xFE]);
        for unit in self.xml.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }
}

/// Escapes text content as `XmlTextWriter` does: `&`, `<` and `>` as entities (quick-xml's
/// partial escape), quotes as they are, and the control characters XML cannot hold raw as
/// character references (`&#x1;`), so a stray control character still gives well-formed XML.
fn escape_text(text: &str) -> Cow<'_, str> {
    let escaped = partial_escape(text);
    if !escaped.chars().any(is_restricted_control) {
        return escaped;
    }
    let mut with_references = String::with_capacity(escaped.len() + 8);
    for character in escaped.chars() {
        if is_restricted_control(character) {
            with_references.push_str(&format!("&#x{:X};", u32::from(character)));
        } else {
            with_references.push(character);
        }
    }
    Cow::Owned(with_references)
}

/// The C0 controls XML 1.0 does not allow as characters (all but tab, line feed and return).
fn is_restricted_control(character: char) -> bool {
    matches!(character, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16_le(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        text.encode_utf16().for_each(|unit| bytes.extend_from_slice(&unit.to_le_bytes()));
        bytes
    }

    fn utf16_be(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFE, 0xFF];
        text.encode_utf16().for_each(|unit| bytes.extend_from_slice(&unit.to_be_bytes()));
        bytes
    }

    #[test]
    fn every_accepted_encoding_decodes_to_the_same_text() {
        let text = "<A>Zürich 東京 😀</A>";
        assert_eq!(decode(&utf16_le(text)).expect("utf-16 le"), text);
        assert_eq!(decode(&utf16_be(text)).expect("utf-16 be"), text);
        assert_eq!(decode(text.as_bytes()).expect("utf-8"), text);
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
        assert_eq!(decode(&with_bom).expect("utf-8 with bom"), text);
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_refused_with_a_hint() {
        let bytes: Vec<u8> = utf16_le("<A/>").into_iter().skip(2).collect();
        let error = decode(&bytes).expect_err("no bom");
        assert!(error.to_string().contains("UTF-16 without a byte order mark"), "{error}");
    }

    #[test]
    fn text_holding_u0000_is_refused_since_it_could_not_be_written_back() {
        let error = crate::formats::package::PackageHeader::parse(
            b"<DataManagementPackageHeader><Description>a\0b</Description></DataManagementPackageHeader>",
        )
        .expect_err("refused");
        assert!(format!("{error:#}").contains("<Description> holds the character U+0000"), "{error:#}");
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let error = decode(b"<A>\xff</A>").expect_err("invalid");
        assert_eq!(error.to_string(), "invalid UTF-8 at byte 3");
    }

    #[test]
    fn an_unpaired_surrogate_or_odd_length_in_utf16_is_an_error() {
        // The emoji is a surrogate pair, two units; the lone surrogate after it is unit 4.
        let mut lone_surrogate = utf16_le("<A>😀");
        lone_surrogate.extend_from_slice(&0xD800u16.to_le_bytes());
        let error = decode(&lone_surrogate).expect_err("lone surrogate");
        assert_eq!(format!("{error:#}"), "invalid UTF-16 LE text: unpaired surrogate at byte 12");
        let mut odd = utf16_le("<A/>");
        odd.push(0);
        assert!(format!("{:#}", decode(&odd).expect_err("odd")).contains("odd number of bytes"));
    }

    #[test]
    fn text_resolves_references_and_normalises_line_breaks() {
        let mut document = DocumentReader::new("<A><B>x &amp; &lt;y&gt; &#x41;&#66; a\r\nb<![CDATA[<c>]]></B></A>");
        let root = document.root(&["A"]).expect("root");
        assert_eq!(root.name, "A");
        let child = document.next_child().expect("read").expect("a child");
        assert_eq!(document.text(&child).expect("text"), "x & <y> AB a\nb<c>");
    }

    #[test]
    fn malformed_xml_is_reported_by_line_and_column() {
        let mut document = DocumentReader::new("<A>\n  <Ü>x</B>\n</A>");
        document.root(&["A"]).expect("root");
        let child = document.next_child().expect("read").expect("a child");
        let error = document.text(&child).expect_err("mismatched end");
        assert!(format!("{error:#}").starts_with("malformed XML at line 2, column 7"), "{error:#}");
    }

    #[test]
    fn an_undefined_entity_is_an_error() {
        let mut document = DocumentReader::new("<A><B>&custom;</B></A>");
        document.root(&["A"]).expect("root");
        let child = document.next_child().expect("read").expect("a child");
        let error = document.text(&child).expect_err("undefined");
        assert!(error.to_string().contains("undefined entity &custom;"), "{error}");
    }

    #[test]
    fn a_doctype_is_refused_before_any_entity_is_expanded() {
        let billion_laughs =
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><A>&lol2;</A>"#;
        let error = DocumentReader::new(billion_laughs).root(&["A"]).expect_err("doctype");
        assert!(error.to_string().contains("DOCTYPE"), "{error}");
    }

    #[test]
    fn a_document_cut_off_inside_an_element_is_an_error_not_a_shorter_document() {
        let mut document = DocumentReader::new("<A><List><B>text</B>");
        document.root(&["A"]).expect("root");
        let list = document.next_child().expect("read").expect("list");
        assert_eq!(list.name, "List");
        let item = document.next_child().expect("read").expect("b");
        assert_eq!(document.text(&item).expect("text"), "text");
        let error = document.next_child().expect_err("cut off");
        assert_eq!(error.to_string(), "the document ends inside <List>");
    }

    #[test]
    fn skip_passes_over_deeply_nested_unknown_elements() {
        let depth = 100_000;
        let xml = format!("<A>{}{}<B>kept</B></A>", "<X>".repeat(depth), "</X>".repeat(depth));
        let mut document = DocumentReader::new(&xml);
        document.root(&["A"]).expect("root");
        let unknown = document.next_child().expect("read").expect("x");
        document.skip(&unknown).expect("skip");
        let kept = document.next_child().expect("read").expect("b");
        assert_eq!(document.text(&kept).expect("text"), "kept");
        assert_eq!(document.next_child().expect("read"), None);
    }

    #[test]
    fn nil_is_read_whatever_the_prefix() {
        let mut document = DocumentReader::new(r#"<A xmlns:xsi="urn:x"><B xsi:nil="true"/><C i:nil="false">t</C></A>"#);
        document.root(&["A"]).expect("root");
        let nil = document.next_child().expect("read").expect("b");
        assert!(nil.nil && nil.empty);
        assert_eq!(document.optional_text(&nil).expect("nil"), None);
        let not_nil = document.next_child().expect("read").expect("c");
        assert_eq!(document.optional_text(&not_nil).expect("text").as_deref(), Some("t"));
    }

    #[test]
    fn the_writer_escapes_like_xml_text_writer() {
        let mut writer = DocumentWriter::default();
        writer.text("A", "a<b>&\"c\" 'd'\u{1}");
        writer.text("B", "");
        writer.nil("C");
        assert_eq!(writer.xml, "<A>a&lt;b&gt;&amp;\"c\" 'd'&#x1;</A><B /><C i:nil=\"true\" />");
    }

    #[test]
    fn the_writer_output_is_utf16_le_with_a_bom() {
        let mut writer = DocumentWriter::default();
        writer.text("A", "é");
        assert_eq!(writer.into_bytes(), utf16_le("<A>é</A>"));
    }
}
