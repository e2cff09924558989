//! Resource paths (`CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')/Ns.approve`,
//! `CustomersV3/$count`, `$metadata`) and the key predicates inside them.

use super::cursor::Cursor;
use super::literal::literal;
use super::percent::{decode_segment, raw_position};
use super::{Key, Literal, Segment, SyntaxError, check_length};

/// Parses the resource path after the service root, still percent-encoded: segments split at
/// `/` first, so `%2F` inside a key stays part of the key. A key predicate becomes a
/// [`Segment::Key`] after the name it follows. `$metadata` and `$batch` stand alone; `$count`,
/// `$value` and `$ref` end a path. The empty path (the service document) has no segments.
/// Error positions are offsets in `path` as sent.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, SyntaxError> {
    check_length(path, "the path")?;
    let mut segments = Vec::new();
    if path.is_empty() {
        return Ok(segments);
    }
    let mut offset = 0;
    for raw in path.split('/') {
        let start = offset;
        offset += raw.len() + 1;
        if let Some(last @ (Segment::Count | Segment::Value | Segment::Ref | Segment::Metadata | Segment::Batch)) =
            segments.last()
        {
            return Err(SyntaxError {
                message: format!("nothing may follow {}", keyword(last)),
                position: start.saturating_sub(1),
            });
        }
        if raw.is_empty() {
            return Err(SyntaxError { message: "empty path segment".into(), position: start });
        }
        let decoded = decode_segment(raw, start)?;
        segment(&decoded, &mut segments).map_err(|error| SyntaxError {
            message: error.message,
            position: start + raw_position(raw, error.position),
        })?;
    }
    Ok(segments)
}

/// Parses a key predicate, the text between the parentheses: `'US-001'`, `42`, or
/// `dataAreaId='usmf',CustomerAccount='US-001'` (spaces around `,` and `=` allowed). The text
/// is already percent-decoded. A property named twice is an error.
pub fn parse_key(text: &str) -> Result<Key, SyntaxError> {
    check_length(text, "the key")?;
    let mut cursor = Cursor::new(text);
    let key = key(&mut cursor)?;
    cursor.expect_end("after the key")?;
    Ok(key)
}

/// How a `$` segment is written.
fn keyword(segment: &Segment) -> &'static str {
    match segment {
        Segment::Count => "$count",
        Segment::Value => "$value",
        Segment::Ref => "$ref",
        Segment::Metadata => "$metadata",
        Segment::Batch => "$batch",
        Segment::Name(_) | Segment::Key(_) => "a name",
    }
}

/// Parses one decoded segment and appends what it holds to `segments`.
fn segment(text: &str, segments: &mut Vec<Segment>) -> Result<(), SyntaxError> {
    let first = segments.is_empty();
    let mut cursor = Cursor::new(text);
    if text.starts_with('$') {
        let segment = match text {
            "$metadata" => Segment::Metadata,
            "$batch" => Segment::Batch,
            "$count" => Segment::Count,
            "$value" => Segment::Value,
            "$ref" => Segment::Ref,
            _ => return Err(cursor.error(format!("the path segment {text} is not supported"))),
        };
        let stands_alone = matches!(segment, Segment::Metadata | Segment::Batch);
        if stands_alone && !first {
            return Err(cursor.error(format!("{} must be the whole path", keyword(&segment))));
        }
        if !stands_alone && first {
            return Err(cursor.error(format!("{} must follow a collection or an entity", keyword(&segment))));
        }
        segments.push(segment);
        return Ok(());
    }
    let Some(name) = cursor.qualified_name()? else {
        return Err(cursor.error(format!("expected a name, found {}", cursor.found())));
    };
    if first && let Some(dot) = name.find('.') {
        return Err(cursor.error_at(dot, "a path starts with an entity set, whose name has no namespace"));
    }
    segments.push(Segment::Name(name.to_owned()));
    if cursor.eat('(') {
        segments.push(Segment::Key(key(&mut cursor)?));
        cursor.expect(')', "to close the key")?;
    }
    cursor.expect_end("in the path segment; segments are separated by `/`")
}

/// Reads a key predicate's contents up to (not including) the closing parenthesis.
fn key(cursor: &mut Cursor<'_>) -> Result<Key, SyntaxError> {
    cursor.skip_whitespace();
    if !is_named(cursor) {
        let value = key_value(cursor)?;
        cursor.skip_whitespace();
        return Ok(Key::Single(value));
    }
    let mut pairs: Vec<(String, Literal)> = Vec::new();
    loop {
        let name_start = cursor.pos();
        let Some(name) = cursor.identifier()? else {
            return Err(cursor.error(format!("expected the name of a key property, found {}", cursor.found())));
        };
        if pairs.iter().any(|(known, _)| known == name) {
            return Err(cursor.error_at(name_start, format!("the key names {name} twice")));
        }
        cursor.skip_whitespace();
        cursor.expect('=', &format!("after the key property {name}"))?;
        cursor.skip_whitespace();
        pairs.push((name.to_owned(), key_value(cursor)?));
        cursor.skip_whitespace();
        if !cursor.eat(',') {
            return Ok(Key::Named(pairs));
        }
        cursor.skip_whitespace();
    }
}

/// Whether the key at the cursor is `name=value,…` rather than a single value.
fn is_named(cursor: &Cursor<'_>) -> bool {
    let mut probe = cursor.clone();
    matches!(probe.identifier(), Ok(Some(_))) && {
        probe.skip_whitespace();
        probe.peek() == Some('=')
    }
}

/// One key value: a literal.
fn key_value(cursor: &mut Cursor<'_>) -> Result<Literal, SyntaxError> {
    if cursor.peek() == Some('@') {
        return Err(cursor.error("parameter aliases such as @p are not supported in keys"));
    }
    match literal(cursor)? {
        Some(value) => Ok(value),
        None => Err(cursor.error(format!("expected a key value such as 'text' or 42, found {}", cursor.found_token()))),
    }
}
