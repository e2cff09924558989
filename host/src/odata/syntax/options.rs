//! Query options: the query string of a request, split and decoded into system options (with
//! `$`, any case, each at most once) and custom ones; and the values of `$select` and
//! `$expand`, whose items carry their own options in parentheses.

use super::cursor::{Cursor, is_identifier_char};
use super::expr::{parse_filter, parse_orderby};
use super::percent::{decode_option, raw_position};
use super::{ExpandItem, MAX_NESTING, QueryOptions, SelectItem, SyntaxError, check_length};

/// What a system query option holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SystemOption {
    Filter,
    OrderBy,
    Select,
    Expand,
    Top,
    Skip,
    Count,
    SkipToken,
    Format,
    /// Parsed by name only and recorded in [`QueryOptions::unsupported`].
    Unsupported,
}

/// The system query options Wharf knows, by lowercase name.
const SYSTEM_OPTIONS: [(&str, SystemOption); 17] = [
    ("$filter", SystemOption::Filter),
    ("$orderby", SystemOption::OrderBy),
    ("$select", SystemOption::Select),
    ("$expand", SystemOption::Expand),
    ("$top", SystemOption::Top),
    ("$skip", SystemOption::Skip),
    ("$count", SystemOption::Count),
    ("$skiptoken", SystemOption::SkipToken),
    ("$format", SystemOption::Format),
    ("$search", SystemOption::Unsupported),
    ("$apply", SystemOption::Unsupported),
    ("$compute", SystemOption::Unsupported),
    ("$levels", SystemOption::Unsupported),
    ("$index", SystemOption::Unsupported),
    ("$schemaversion", SystemOption::Unsupported),
    ("$deltatoken", SystemOption::Unsupported),
    ("$id", SystemOption::Unsupported),
];

/// Which options may follow an `$expand` item, by what the item is (the ABNF's
/// `expandOption`, `expandRefOption` and `expandCountOption`), and how to say where they were.
#[derive(Debug, Clone, Copy)]
struct ExpandScope {
    allowed: &'static [&'static str],
    place: &'static str,
}

const EXPAND_NAVIGATION: ExpandScope = ExpandScope {
    allowed: &[
        "$filter", "$search", "$orderby", "$skip", "$top", "$count", "$select", "$expand", "$compute", "$levels",
    ],
    place: "inside $expand",
};
const EXPAND_REF: ExpandScope =
    ExpandScope { allowed: &["$filter", "$search", "$orderby", "$skip", "$top", "$count"], place: "after $ref" };
const EXPAND_COUNT: ExpandScope = ExpandScope { allowed: &["$filter", "$search"], place: "after $count" };
const EXPAND_STAR: ExpandScope = ExpandScope { allowed: &["$levels"], place: "after *" };
const EXPAND_STAR_REF: ExpandScope = ExpandScope { allowed: &[], place: "after */$ref" };

/// Parses a raw query string (without `?`): options separated by `&`, each `name=value`
/// percent-decoded with `+` as a space. System options start with `$` and are matched in any
/// case; repeating one, or an unknown one, is an error. `$search`, `$apply`, `$compute`,
/// `$levels`, `$index`, `$schemaversion`, `$deltatoken` and `$id` land in `unsupported`
/// unread. Options without `$` are custom options; parameter aliases (`@p`) are refused.
/// Error positions are offsets in `query` as sent.
pub fn parse_query(query: &str) -> Result<QueryOptions, SyntaxError> {
    check_length(query, "the query string")?;
    let mut options = QueryOptions::default();
    let mut seen = Vec::new();
    let mut offset = 0;
    for raw in query.split('&') {
        let start = offset;
        offset += raw.len() + 1;
        if raw.is_empty() {
            continue;
        }
        let (name, value) = decode_option(raw);
        let (raw_name, raw_value) = raw.split_once('=').unwrap_or((raw, ""));
        let value_start = start + raw_name.len() + usize::from(raw.contains('='));
        let error_at_name = |message: String| SyntaxError { message, position: start };
        if name.starts_with('$') {
            let lower = name.to_ascii_lowercase();
            let option =
                system_option(&lower).ok_or_else(|| error_at_name(format!("unknown system query option {name}")))?;
            if seen.contains(&lower) {
                return Err(error_at_name(format!("{name} is given twice; a system query option may appear once")));
            }
            set_option(&mut options, &lower, option, &value, 0).map_err(|error| SyntaxError {
                message: in_option(&lower, error.message),
                position: value_start + raw_position(raw_value, error.position),
            })?;
            seen.push(lower);
        } else if name.starts_with('@') {
            return Err(error_at_name(format!(
                "parameter aliases such as {name} are not supported; write the value in place"
            )));
        } else if name.is_empty() {
            return Err(error_at_name("a query option needs a name before `=`".into()));
        } else {
            options.custom.push((name, value));
        }
    }
    Ok(options)
}

/// Parses a `$select` value: `*` or property paths (`Name`, `Address/City`), separated by
/// commas. Nested options and the selection of operations (`Namespace.*`) are refused.
pub fn parse_select(text: &str) -> Result<Vec<SelectItem>, SyntaxError> {
    check_length(text, "$select")?;
    let mut cursor = Cursor::new(text);
    let mut items = Vec::new();
    loop {
        if cursor.eat('*') {
            items.push(SelectItem::All);
        } else {
            items.push(SelectItem::Path(property_path(&mut cursor, "a property")?));
            if cursor.peek() == Some('(') {
                return Err(cursor.error("options nested in $select are not supported"));
            }
        }
        if !list_separator(&mut cursor, "$select")? {
            return Ok(items);
        }
    }
}

/// Parses an `$expand` value: navigation paths (or `*`), separated by commas, each possibly
/// ending in `/$ref` or `/$count` and followed by its own options in parentheses, separated
/// by `;`: `Lines($select=ItemNumber;$filter=Quantity gt 1;$expand=Product)`.
pub fn parse_expand(text: &str) -> Result<Vec<ExpandItem>, SyntaxError> {
    check_length(text, "$expand")?;
    expand_items(text, 0)
}

/// The system option called `name` (lowercase).
fn system_option(name: &str) -> Option<SystemOption> {
    SYSTEM_OPTIONS.iter().find(|(known, _)| *known == name).map(|&(_, option)| option)
}

/// Reads the value of the system option `name` (lowercase) into `options`; error positions
/// are offsets in `value`. `nesting` counts the `$expand`s this option is inside.
fn set_option(
    options: &mut QueryOptions,
    name: &str,
    option: SystemOption,
    value: &str,
    nesting: usize,
) -> Result<(), SyntaxError> {
    match option {
        SystemOption::Filter => options.filter = Some(parse_filter(value)?),
        SystemOption::OrderBy => options.orderby = parse_orderby(value)?,
        SystemOption::Select => options.select = parse_select(value)?,
        SystemOption::Expand => options.expand = expand_items(value, nesting + 1)?,
        SystemOption::Top => options.top = Some(whole_number(value)?),
        SystemOption::Skip => options.skip = Some(whole_number(value)?),
        SystemOption::Count => options.count = boolean(value)?,
        SystemOption::SkipToken => options.skiptoken = Some(not_empty(value)?),
        SystemOption::Format => options.format = Some(not_empty(value)?),
        SystemOption::Unsupported => options.unsupported.push(name.to_owned()),
    }
    Ok(())
}

/// Names the option an error happened in (`$filter: expected …`), once: an error deep
/// inside nested `$expand`s already names the innermost option.
fn in_option(name: &str, message: String) -> String {
    if message.starts_with('$') { message } else { format!("{name}: {message}") }
}

/// A non-negative whole number, as `$top` and `$skip` take.
fn whole_number(value: &str) -> Result<u64, SyntaxError> {
    let error = |message: &str| SyntaxError { message: message.into(), position: 0 };
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(error("expected a whole number of zero or more, in digits"));
    }
    value.parse().map_err(|_| error("the number is too large"))
}

/// `true` or `false`, as `$count` takes.
fn boolean(value: &str) -> Result<bool, SyntaxError> {
    match value {
        _ if value.eq_ignore_ascii_case("true") => Ok(true),
        _ if value.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(SyntaxError { message: "expected true or false".into(), position: 0 }),
    }
}

/// The value as written, which must not be empty.
fn not_empty(value: &str) -> Result<String, SyntaxError> {
    if value.is_empty() {
        return Err(SyntaxError { message: "expected a value after `=`".into(), position: 0 });
    }
    Ok(value.to_owned())
}

/// After a list item: reads `,` (with spaces around it) and returns true, or returns false
/// at the end of the text.
fn list_separator(cursor: &mut Cursor<'_>, list: &str) -> Result<bool, SyntaxError> {
    cursor.skip_whitespace();
    if cursor.eat(',') {
        cursor.skip_whitespace();
        return Ok(true);
    }
    if cursor.at_end() {
        return Ok(false);
    }
    Err(cursor.error(format!("expected `,` or the end of {list}, found {}", cursor.found())))
}

/// Reads `Name/Name/…`, where a name may be qualified (a type cast, `Model.Manager`).
fn property_path(cursor: &mut Cursor<'_>, what: &str) -> Result<Vec<String>, SyntaxError> {
    let mut path = Vec::new();
    loop {
        let Some(name) = cursor.qualified_name()? else {
            return Err(cursor.error(format!("expected {what}, found {}", cursor.found())));
        };
        path.push(name.to_owned());
        if !cursor.eat('/') {
            return Ok(path);
        }
    }
}

/// The items of an `$expand` value that is `nesting` levels inside other `$expand`s.
fn expand_items(text: &str, nesting: usize) -> Result<Vec<ExpandItem>, SyntaxError> {
    if nesting > MAX_NESTING {
        return Err(SyntaxError { message: format!("$expand nests more than {MAX_NESTING} levels deep"), position: 0 });
    }
    let mut cursor = Cursor::new(text);
    let mut items = Vec::new();
    loop {
        items.push(expand_item(&mut cursor, nesting)?);
        if !list_separator(&mut cursor, "$expand")? {
            return Ok(items);
        }
    }
}

/// One `$expand` item: its path, then its options if a `(` follows.
fn expand_item(cursor: &mut Cursor<'_>, nesting: usize) -> Result<ExpandItem, SyntaxError> {
    let (path, scope) = expand_path(cursor)?;
    let mut options = QueryOptions::default();
    if cursor.peek() != Some('(') {
        return Ok(ExpandItem { path, options });
    }
    let open = cursor.pos();
    cursor.advance(1);
    let mut seen = Vec::new();
    loop {
        let name_start = cursor.pos();
        let name = match (cursor.eat('$'), cursor.identifier()?) {
            (true, Some(word)) => format!("${}", word.to_ascii_lowercase()),
            _ => {
                cursor.set_pos(name_start);
                return Err(
                    cursor.error(format!("expected a system query option such as $select, found {}", cursor.found()))
                );
            }
        };
        let option = system_option(&name)
            .ok_or_else(|| cursor.error_at(name_start, format!("unknown system query option {name}")))?;
        if !scope.allowed.contains(&name.as_str()) {
            return Err(cursor.error_at(name_start, format!("{name} is not allowed {}", scope.place)));
        }
        if seen.contains(&name) {
            return Err(cursor.error_at(name_start, format!("{name} is given twice for the same item")));
        }
        cursor.expect('=', &format!("after {name}"))?;
        let value_start = cursor.pos();
        let Some(len) = option_value_len(cursor.rest()) else {
            return Err(cursor.error_at(open, "the parenthesis opened here is never closed"));
        };
        let value = &cursor.rest()[..len];
        set_option(&mut options, &name, option, value, nesting).map_err(|error| SyntaxError {
            message: in_option(&name, error.message),
            position: value_start + error.position,
        })?;
        cursor.advance(len);
        seen.push(name);
        if !cursor.eat(';') {
            cursor.expect(')', &format!("to close the options opened at position {open}"))?;
            return Ok(ExpandItem { path, options });
        }
    }
}

/// Reads the path of an `$expand` item and says which options may follow it.
fn expand_path(cursor: &mut Cursor<'_>) -> Result<(Vec<String>, ExpandScope), SyntaxError> {
    if cursor.eat('*') {
        if cursor.rest().starts_with("/$ref") {
            cursor.advance("/$ref".len());
            return Ok((vec!["*".into(), "$ref".into()], EXPAND_STAR_REF));
        }
        return Ok((vec!["*".into()], EXPAND_STAR));
    }
    let mut path = Vec::new();
    loop {
        let suffix = ["$ref", "$count"].into_iter().find(|suffix| {
            cursor.rest().starts_with(suffix) && !cursor.rest()[suffix.len()..].starts_with(is_identifier_char)
        });
        if let Some(suffix) = suffix {
            if path.is_empty() {
                return Err(cursor.error(format!("{suffix} must follow a navigation property")));
            }
            cursor.advance(suffix.len());
            path.push(suffix.to_owned());
            if cursor.peek() == Some('/') {
                return Err(cursor.error(format!("nothing may follow {suffix}")));
            }
            let scope = if suffix == "$ref" { EXPAND_REF } else { EXPAND_COUNT };
            return Ok((path, scope));
        }
        let Some(name) = cursor.qualified_name()? else {
            return Err(cursor.error(format!("expected a navigation property, found {}", cursor.found())));
        };
        path.push(name.to_owned());
        if !cursor.eat('/') {
            return Ok((path, EXPAND_NAVIGATION));
        }
    }
}

/// The length of a nested option's value: up to the `;` or `)` that ends it, skipping over
/// quoted strings and balanced parentheses. `None` when the text ends first.
fn option_value_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (index, c) in text.char_indices() {
        match c {
            '\'' => in_string = !in_string,
            _ if in_string => {}
            '(' => depth += 1,
            ')' if depth == 0 => return Some(index),
            ')' => depth -= 1,
            ';' if depth == 0 => return Some(index),
            _ => {}
        }
    }
    None
}
