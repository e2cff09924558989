//! Primitive literals (the ABNF's `primitiveLiteral`): strings, numbers, booleans, `null`,
//! dates, date-times, times of day, durations, GUIDs, binary values and enumeration members.
//! Dates and times are checked for range (month 01–12, a day the month has, hour 00–23), so a
//! literal that parses names a real instant.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cursor::{Cursor, identifier_len, is_identifier_char, is_identifier_start};
use super::{Literal, SyntaxError, check_length};

/// The most digits of fractional seconds the ABNF allows (`fractionalSeconds = 1*12DIGIT`).
const MAX_FRACTION_DIGITS: usize = 12;

/// The most digits an enumeration member's numeric value has (`int64Value = [sign] 1*19DIGIT`).
const MAX_INT64_DIGITS: usize = 19;

/// Parses one whole primitive literal as it appears in a URL: `'O''Neil'`, `42`, `1.5`,
/// `2.5e3`, `INF`, `true`, `null`, `2026-11-21`, `2026-11-21T08:30:00Z`, `08:30`,
/// `duration'P1D'`, `01234567-89ab-cdef-0123-456789abcdef`, `binary'Zm9v'`,
/// `Microsoft.Dynamics.DataEntities.NoYes'Yes'`. A bare duration (`P1DT2H`, the form of JSON
/// payloads) is read too. Geography and geometry literals are refused.
pub fn parse_literal(text: &str) -> Result<Literal, SyntaxError> {
    check_length(text, "the literal")?;
    let mut cursor = Cursor::new(text);
    let literal = if starts_bare_duration(text) {
        Literal::Duration(duration_value(&mut cursor)?)
    } else {
        match literal(&mut cursor)? {
            Some(literal) => literal,
            None => {
                return Err(cursor.error(format!(
                    "expected a literal such as 'text', 42, true or 2026-11-21, found {}",
                    cursor.found()
                )));
            }
        }
    };
    cursor.expect_end("after the literal")?;
    Ok(literal)
}

/// Reads the literal at the cursor, or returns `None` without moving when the text there is
/// not a literal (a property name, an operator, `(`). Fails when it starts like a literal but
/// is malformed, so `2026-13-01` is an error rather than something else.
pub(super) fn literal(cursor: &mut Cursor<'_>) -> Result<Option<Literal>, SyntaxError> {
    let Some(first) = cursor.peek() else { return Ok(None) };
    if first == '\'' {
        return string(cursor).map(|text| Some(Literal::String(text)));
    }
    if let Some(len) = guid_len(cursor.rest()) {
        let text = &cursor.rest()[..len];
        cursor.advance(len);
        return Ok(Some(Literal::Guid(text.to_owned())));
    }
    let signed = matches!(first, '-' | '+');
    if first.is_ascii_digit() || (signed && cursor.peek_second().is_some_and(|c| c.is_ascii_digit())) {
        return numeric(cursor).map(Some);
    }
    let after_sign = &cursor.rest()[first.len_utf8()..];
    if first == '-' && &after_sign[..identifier_len(after_sign)] == "INF" {
        cursor.advance("-INF".len());
        return Ok(Some(Literal::Double(f64::NEG_INFINITY)));
    }
    if !is_identifier_start(first) {
        return Ok(None);
    }
    let start = cursor.pos();
    let len = cursor.qualified_name_len();
    if len == 0 {
        return Ok(None);
    }
    let name = &cursor.rest()[..len];
    if cursor.rest()[len..].starts_with('\'') {
        cursor.advance(len + 1);
        return prefixed(cursor, name, start).map(Some);
    }
    let literal = match name {
        _ if name.eq_ignore_ascii_case("true") => Literal::Boolean(true),
        _ if name.eq_ignore_ascii_case("false") => Literal::Boolean(false),
        _ if name.eq_ignore_ascii_case("null") => Literal::Null,
        "INF" => Literal::Double(f64::INFINITY),
        "NaN" => Literal::Double(f64::NAN),
        _ => return Ok(None),
    };
    cursor.advance(len);
    Ok(Some(literal))
}

/// Whether `text` is a duration without prefix and quotes: `P1D`, `-PT5M`.
fn starts_bare_duration(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut chars = unsigned.chars();
    matches!(chars.next(), Some('P' | 'p')) && matches!(chars.next(), Some('0'..='9' | 'T' | 't'))
}

/// Reads `'…'` with `''` standing for one quote; the cursor is on the opening quote.
fn string(cursor: &mut Cursor<'_>) -> Result<String, SyntaxError> {
    let start = cursor.pos();
    cursor.advance(1);
    let mut value = String::new();
    loop {
        let Some(end) = cursor.rest().find('\'') else {
            return Err(cursor.error_at(start, "the string starting here has no closing quote"));
        };
        value.push_str(&cursor.rest()[..end]);
        cursor.advance(end + 1);
        if cursor.eat('\'') {
            value.push('\'');
        } else {
            return Ok(value);
        }
    }
}

/// The length of the GUID (8-4-4-4-12 hexadecimal digits) at the start of `text`, if one is
/// there and is not the start of a longer name or number.
fn guid_len(text: &str) -> Option<usize> {
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    if bytes.len() < LEN {
        return None;
    }
    let shape_matches = bytes[..LEN]
        .iter()
        .enumerate()
        .all(|(index, byte)| if matches!(index, 8 | 13 | 18 | 23) { *byte == b'-' } else { byte.is_ascii_hexdigit() });
    // The shape is ASCII, so `LEN` is a character boundary once it matches.
    let ends_here = || text[LEN..].chars().next().is_none_or(|c| !is_identifier_char(c) && c != '-');
    (shape_matches && ends_here()).then_some(LEN)
}

/// Reads what starts with a digit or a sign and a digit: a number, a date, a date-time or a
/// time of day.
fn numeric(cursor: &mut Cursor<'_>) -> Result<Literal, SyntaxError> {
    let start = cursor.pos();
    let sign = cursor.peek().filter(|c| matches!(c, '-' | '+'));
    if sign.is_some() {
        cursor.advance(1);
    }
    let digits_start = cursor.pos();
    let digits = digits(cursor);
    let integer = &cursor.text()[digits_start..cursor.pos()];
    match cursor.peek() {
        Some('-') if sign != Some('+') && is_year(integer) => date_or_date_time(cursor, start),
        Some(':') if sign.is_none() && digits == 2 => {
            cursor.set_pos(start);
            time(cursor)?;
            expect_boundary(cursor, "time of day")?;
            Ok(Literal::TimeOfDay(cursor.text()[start..cursor.pos()].to_owned()))
        }
        _ => number(cursor, start),
    }
}

/// Whether `digits` is a year as the ABNF writes one: four digits, or more without a leading
/// zero.
fn is_year(digits: &str) -> bool {
    digits.len() == 4 || (digits.len() > 4 && !digits.starts_with('0'))
}

/// Moves past ASCII digits and says how many.
fn digits(cursor: &mut Cursor<'_>) -> usize {
    let count = cursor.rest().bytes().take_while(u8::is_ascii_digit).count();
    cursor.advance(count);
    count
}

/// Finishes a number whose sign and integer digits have been read.
fn number(cursor: &mut Cursor<'_>, start: usize) -> Result<Literal, SyntaxError> {
    let mut has_point = false;
    let mut has_exponent = false;
    if cursor.eat('.') {
        if digits(cursor) == 0 {
            return Err(cursor.error(format!("expected a digit after the decimal point, found {}", cursor.found())));
        }
        has_point = true;
    }
    if matches!(cursor.peek(), Some('e' | 'E')) {
        cursor.advance(1);
        if matches!(cursor.peek(), Some('-' | '+')) {
            cursor.advance(1);
        }
        if digits(cursor) == 0 {
            return Err(cursor.error(format!("expected the digits of the exponent, found {}", cursor.found())));
        }
        has_exponent = true;
    }
    expect_boundary(cursor, "number")?;
    let text = &cursor.text()[start..cursor.pos()];
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if has_exponent {
        return match unsigned.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Literal::Double(value)),
            _ => Err(cursor.error_at(start, format!("{text} is out of the range of a double"))),
        };
    }
    if has_point {
        return Ok(Literal::Decimal(unsigned.to_owned()));
    }
    Ok(unsigned.parse::<i64>().map_or_else(|_| Literal::Decimal(unsigned.to_owned()), Literal::Integer))
}

/// Fails when a literal runs straight into a name or another number (`12abc`, `1.5.2`).
fn expect_boundary(cursor: &Cursor<'_>, what: &str) -> Result<(), SyntaxError> {
    match cursor.peek() {
        Some(c) if is_identifier_char(c) || c == '.' => {
            Err(cursor.error(format!("unexpected {} after the {what}", cursor.found())))
        }
        _ => Ok(()),
    }
}

/// Finishes a date, or a date-time if a `T` follows; the year has been read.
fn date_or_date_time(cursor: &mut Cursor<'_>, start: usize) -> Result<Literal, SyntaxError> {
    let year_text = &cursor.text()[start..cursor.pos()];
    let Ok(year) = year_text.parse::<i64>() else {
        return Err(cursor.error_at(start, format!("the year {year_text} has too many digits")));
    };
    cursor.expect('-', "between year and month")?;
    let month = two_digits(cursor, "month", 1, 12)?;
    cursor.expect('-', "between month and day")?;
    let day_position = cursor.pos();
    let day = two_digits(cursor, "day", 1, 31)?;
    if day > days_in_month(year, month) {
        return Err(cursor.error_at(day_position, format!("day {day:02} does not exist in month {month:02} of {year}")));
    }
    if !matches!(cursor.peek(), Some('T' | 't')) {
        expect_boundary(cursor, "date")?;
        return Ok(Literal::Date(cursor.text()[start..cursor.pos()].to_owned()));
    }
    cursor.advance(1);
    time(cursor)?;
    zone(cursor)?;
    expect_boundary(cursor, "date-time")?;
    Ok(Literal::DateTimeOffset(cursor.text()[start..cursor.pos()].to_owned()))
}

/// How many days `month` has in `year` of the proleptic Gregorian calendar (year 0 is a leap
/// year, as ISO 8601 counts).
fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `hh:mm[:ss[.fffffffffff]]`.
fn time(cursor: &mut Cursor<'_>) -> Result<(), SyntaxError> {
    two_digits(cursor, "hour", 0, 23)?;
    cursor.expect(':', "between hours and minutes")?;
    two_digits(cursor, "minute", 0, 59)?;
    if cursor.eat(':') {
        two_digits(cursor, "second", 0, 59)?;
        if cursor.eat('.') {
            let start = cursor.pos();
            let count = digits(cursor);
            if count == 0 {
                return Err(cursor.error(format!("expected fractional seconds after `.`, found {}", cursor.found())));
            }
            if count > MAX_FRACTION_DIGITS {
                return Err(cursor.error_at(
                    start + MAX_FRACTION_DIGITS,
                    format!("fractional seconds have at most {MAX_FRACTION_DIGITS} digits"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads the zone of a date-time: `Z` or `+hh:mm`/`-hh:mm`.
fn zone(cursor: &mut Cursor<'_>) -> Result<(), SyntaxError> {
    match cursor.peek() {
        Some('Z' | 'z') => {
            cursor.advance(1);
            Ok(())
        }
        Some('+' | '-') => {
            cursor.advance(1);
            two_digits(cursor, "hour of the offset", 0, 23)?;
            cursor.expect(':', "in the offset")?;
            two_digits(cursor, "minute of the offset", 0, 59)?;
            Ok(())
        }
        Some(' ') if cursor.peek_second().is_some_and(|c| c.is_ascii_digit()) => {
            Err(cursor
                .error("expected Z or an offset such as +01:00 after the time (a `+` in a URL must be written %2B)"))
        }
        _ => Err(cursor
            .error(format!("a date-time needs a time zone, Z or an offset such as +01:00, found {}", cursor.found()))),
    }
}

/// Reads exactly two digits whose value lies in `min..=max`. A value out of range is reported
/// at the first digit that cannot be right: `24` at the `4`, `61` at the `6`.
fn two_digits(cursor: &mut Cursor<'_>, what: &str, min: u32, max: u32) -> Result<u32, SyntaxError> {
    let start = cursor.pos();
    let bytes = cursor.rest().as_bytes();
    let digit = |index: usize| bytes.get(index).filter(|byte| byte.is_ascii_digit()).map(|byte| u32::from(byte - b'0'));
    let (Some(tens), Some(ones)) = (digit(0), digit(1)) else {
        let position = if digit(0).is_some() { start + 1 } else { start };
        let mut probe = cursor.clone();
        probe.set_pos(position);
        return Err(probe.error(format!("expected two digits for the {what}, found {}", probe.found())));
    };
    let value = tens * 10 + ones;
    if !(min..=max).contains(&value) {
        let position = if tens * 10 > max { start } else { start + 1 };
        return Err(cursor.error_at(position, format!("the {what} {value:02} is not between {min:02} and {max:02}")));
    }
    cursor.advance(2);
    Ok(value)
}

/// Reads an ISO 8601 duration of days, hours, minutes and seconds (`P1DT2H30M`, `-PT0.5S`);
/// years and months are not durations in OData. Returns it in upper case.
fn duration_value(cursor: &mut Cursor<'_>) -> Result<String, SyntaxError> {
    let start = cursor.pos();
    if matches!(cursor.peek(), Some('-' | '+')) {
        cursor.advance(1);
    }
    if !matches!(cursor.next_char(), Some('P' | 'p')) {
        return Err(cursor.error_at(start, "a duration starts with `P`, as in P1DT2H"));
    }
    let mut has_part = false;
    if digits(cursor) > 0 {
        if !matches!(cursor.peek(), Some('D' | 'd')) {
            return Err(cursor.error(format!(
                "expected `D` after the number of days, found {} (a duration counts days, hours, minutes \
                 and seconds only)",
                cursor.found()
            )));
        }
        cursor.advance(1);
        has_part = true;
    }
    if matches!(cursor.peek(), Some('T' | 't')) {
        cursor.advance(1);
        time_parts(cursor)?;
        has_part = true;
    }
    if !has_part {
        return Err(cursor.error("a duration needs days, hours, minutes or seconds, as in P1D or PT5M"));
    }
    Ok(cursor.text()[start..cursor.pos()].to_ascii_uppercase())
}

/// Reads the hours, minutes and seconds after a duration's `T`, each at most once and in that
/// order; only seconds may have a fraction.
fn time_parts(cursor: &mut Cursor<'_>) -> Result<(), SyntaxError> {
    const DESIGNATORS: [char; 3] = ['H', 'M', 'S'];
    let mut next_designator = 0;
    loop {
        let number_start = cursor.pos();
        if digits(cursor) == 0 {
            break;
        }
        let has_fraction = cursor.eat('.');
        if has_fraction && digits(cursor) == 0 {
            return Err(cursor.error(format!("expected digits after `.`, found {}", cursor.found())));
        }
        let designator = cursor.peek().map(|c| c.to_ascii_uppercase());
        let found = DESIGNATORS[next_designator..].iter().position(|d| Some(*d) == designator);
        match found {
            Some(offset) if !has_fraction || DESIGNATORS[next_designator + offset] == 'S' => {
                next_designator += offset + 1;
                cursor.advance(1);
            }
            _ if has_fraction => return Err(cursor.error_at(number_start, "only seconds may have a fraction")),
            _ => {
                return Err(cursor
                    .error(format!("expected H, M or S (in that order) after the number, found {}", cursor.found())));
            }
        }
        if next_designator == DESIGNATORS.len() {
            break;
        }
    }
    if next_designator == 0 {
        return Err(cursor.error(format!("expected hours, minutes or seconds after `T`, found {}", cursor.found())));
    }
    Ok(())
}

/// Reads the rest of a literal written `prefix'…'`; the cursor is past the opening quote and
/// `start` is where the prefix began.
fn prefixed(cursor: &mut Cursor<'_>, prefix: &str, start: usize) -> Result<Literal, SyntaxError> {
    if prefix.eq_ignore_ascii_case("binary") {
        return binary(cursor).map(Literal::Binary);
    }
    if prefix.eq_ignore_ascii_case("duration") {
        let value = duration_value(cursor)?;
        cursor.expect('\'', "to close the duration")?;
        return Ok(Literal::Duration(value));
    }
    if prefix.eq_ignore_ascii_case("geography") || prefix.eq_ignore_ascii_case("geometry") {
        return Err(cursor.error_at(start, "geography and geometry literals are not supported"));
    }
    if prefix.contains('.') {
        return enumeration(cursor, prefix);
    }
    Err(cursor.error_at(
        start,
        format!(
            "{prefix}'…' is not a literal: only binary'…', duration'…' and enumeration values such as \
             Namespace.Type'Member' have a prefix"
        ),
    ))
}

/// Reads the base64url text of `binary'…'` up to its closing quote and decodes it. Padding is
/// optional but, when present, complete; the unused bits of the last character must be zero,
/// so every value has one spelling.
fn binary(cursor: &mut Cursor<'_>) -> Result<Vec<u8>, SyntaxError> {
    let start = cursor.pos();
    let Some(end) = cursor.rest().find('\'') else {
        return Err(cursor.error_at(start, "the binary value starting here has no closing quote"));
    };
    let text = &cursor.rest()[..end];
    let data = text.trim_end_matches('=');
    if let Some(index) = data.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        let mut probe = cursor.clone();
        probe.advance(index);
        return Err(probe.error(format!("{} is not a base64url character (A-Z, a-z, 0-9, - and _)", probe.found())));
    }
    let padding = text.len() - data.len();
    let expected_padding = (4 - data.len() % 4) % 4;
    if data.len() % 4 == 1 || (padding != 0 && padding != expected_padding) {
        return Err(cursor.error_at(start + data.len(), "the base64url value has the wrong length or padding"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(data)
        .map_err(|error| cursor.error_at(start, format!("the binary value is not canonical base64url: {error}")))?;
    cursor.advance(end + 1);
    Ok(bytes)
}

/// Reads the members of `Namespace.Type'Member,Member'` up to the closing quote: names, or
/// numeric values for flags without a name.
fn enumeration(cursor: &mut Cursor<'_>, type_name: &str) -> Result<Literal, SyntaxError> {
    let start = cursor.pos();
    loop {
        if cursor.identifier()?.is_none() {
            let number_start = cursor.pos();
            if matches!(cursor.peek(), Some('-' | '+')) {
                cursor.advance(1);
            }
            let count = digits(cursor);
            if count == 0 {
                cursor.set_pos(number_start);
                return Err(cursor.error(format!(
                    "expected the name or value of a member of {type_name}, found {}",
                    cursor.found()
                )));
            }
            if count > MAX_INT64_DIGITS {
                return Err(cursor.error_at(number_start, "an enumeration value has at most 19 digits"));
            }
        }
        if !cursor.eat(',') {
            break;
        }
    }
    let value = cursor.text()[start..cursor.pos()].to_owned();
    cursor.expect('\'', "to close the enumeration value")?;
    Ok(Literal::Enum { type_name: type_name.to_owned(), value })
}
