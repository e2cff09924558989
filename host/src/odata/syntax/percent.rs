//! Percent-decoding of path segments and query options, and the way back from a position in
//! decoded text to the raw text, so errors point at what the client sent.

use percent_encoding::percent_decode_str;

use super::SyntaxError;

/// Decodes one path segment (`%2F` becomes `/`, `+` stays `+`). Fails when the bytes are not
/// UTF-8; `offset` is where the segment starts in the path.
pub(super) fn decode_segment(raw: &str, offset: usize) -> Result<String, SyntaxError> {
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    String::from_utf8(bytes).map_err(|error| SyntaxError {
        message: "the path segment is not UTF-8 once percent-decoded".into(),
        position: offset + raw_position(raw, error.utf8_error().valid_up_to()),
    })
}

/// Splits one `name=value` query option at its first `=` and decodes both halves as
/// `application/x-www-form-urlencoded`: `+` is a space, as ASP.NET (and so D365) reads it and
/// as Python's `requests` writes it. Bytes that are not UTF-8 become U+FFFD.
pub(super) fn decode_option(raw: &str) -> (String, String) {
    match form_urlencoded::parse(raw.as_bytes()).next() {
        Some((name, value)) => (name.into_owned(), value.into_owned()),
        None => (String::new(), String::new()),
    }
}

/// The offset in `raw` of the byte at `decoded_position` of its decoding: every `%XX` is one
/// decoded byte, every other byte one. Positions past the end map to the end.
pub(super) fn raw_position(raw: &str, decoded_position: usize) -> usize {
    let bytes = raw.as_bytes();
    let mut index = 0;
    let mut decoded = 0;
    while index < bytes.len() && decoded < decoded_position {
        let escaped = bytes[index] == b'%'
            && bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit);
        index += if escaped { 3 } else { 1 };
        decoded += 1;
    }
    index
}
