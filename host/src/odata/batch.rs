//! `$batch` multipart bodies: reading a batch request into operations and change sets, and
//! writing the multipart response, as OData 4.0 (Part 1, §11.7) and D365 F&O shape them.
//!
//! Pure: no HTTP framework and no store. The caller runs the [`Item`]s that [`parse`] returns
//! (a change set atomically), then hands their answers to [`write`].
//!
//! A batch request is a `multipart/mixed` body. Each part is either one operation
//! (`Content-Type: application/http`, then a whole HTTP request: `METHOD URL HTTP/1.1`, headers,
//! a blank line, a body) or a change set (`Content-Type: multipart/mixed; boundary=…`, whose
//! parts are operations). The reader accepts what real clients send: CRLF or bare LF line ends
//! (PowerShell on Linux writes LF), quoted boundaries, padding after delimiters (D365FOI writes
//! `--batch_… `), a preamble and an epilogue, header names in any case, and a body-less
//! request that ends right at the next delimiter.

use std::fmt;
use std::slice;

use memchr::memmem;
use uuid::Uuid;

/// Bounds on one `$batch` request, checked while reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most operations a batch may hold, counting those inside change sets. Reading stops
    /// at the first one over, so a batch of a million tiny operations costs no more than the
    /// limit. D365 allows 5,000.
    pub max_operations: usize,
    /// The largest operation part (its MIME headers, request head and body), in bytes: one
    /// operation cannot make the service parse and hold an arbitrarily large entity body.
    /// (The size of the whole batch is the HTTP layer's body limit.)
    pub max_part_bytes: usize,
}

impl Default for Limits {
    /// D365's 5,000 operations, and 4 MiB per operation.
    fn default() -> Limits {
        Limits { max_operations: 5000, max_part_bytes: 4 << 20 }
    }
}

/// One HTTP request read from a batch part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The part's `Content-ID` (or, as some clients send it, the request's), which later
    /// operations of its change set may reference as `$<id>` (see [`resolve_reference`]).
    pub content_id: Option<String>,
    /// The request method as written (`POST`, `PATCH`, …).
    pub method: String,
    /// The request target as written: absolute (`https://host/data/Set`), absolute path
    /// (`/data/Set`), relative to the service root (`Set`), or a `$<id>` reference.
    pub url: String,
    /// The request's own headers, names as written, in order.
    pub headers: Vec<(String, String)>,
    /// The request body (empty when there is none).
    pub body: Vec<u8>,
}

impl Operation {
    /// The value of the first header called `name` (compared without regard to case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// One part of a batch request, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An operation run on its own.
    Operation(Operation),
    /// Operations that succeed or fail together. Only POST, PUT, PATCH and DELETE appear here,
    /// and their Content-IDs are distinct.
    ChangeSet(Vec<Operation>),
}

/// Why a batch request was refused; its text is a sentence fit for a 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError(pub String);

impl BatchError {
    /// Prefixes the message with the place it arose, `Batch part 2: …`.
    fn within(self, place: impl fmt::Display) -> BatchError {
        BatchError(format!("{place}: {}", self.0))
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// The answer to one [`Operation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationResponse {
    /// The operation's `Content-ID`, echoed so clients can match answers to requests.
    pub content_id: Option<String>,
    /// The HTTP status code.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// The response body (empty for 204).
    pub body: Vec<u8>,
}

/// The answer to one [`Item`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResponse {
    /// The answer to an operation run on its own.
    Operation(OperationResponse),
    /// The answers to a change set's operations, in order. When one failed (status 400 or
    /// more), the caller passes the answers up to and including it; only that one is written.
    ChangeSet(Vec<OperationResponse>),
}

/// The most headers one part or one inner request may carry. Real clients send fewer than ten;
/// the bound keeps header parsing on a fixed-size table.
const MAX_HEADERS: usize = 64;

/// The boundary of a `multipart/mixed` body, from its `Content-Type` header value
/// (`multipart/mixed; boundary=batch_…`, the boundary quoted or not).
pub fn boundary(content_type: &str) -> Result<String, BatchError> {
    let media_type = MediaType::parse(content_type)
        .map_err(|error| error.within(format!("The Content-Type {}", shown(content_type))))?;
    if media_type.essence != "multipart/mixed" {
        return Err(BatchError(format!("The Content-Type {} is not multipart/mixed.", shown(content_type))));
    }
    let boundary = media_type
        .parameters
        .into_iter()
        .find_map(|(name, value)| (name == "boundary").then_some(value))
        .ok_or_else(|| BatchError(format!("The Content-Type {} names no boundary.", shown(content_type))))?;
    check_boundary(&boundary)?;
    Ok(boundary)
}

/// Reads a batch request body sent with `content_type` into its items, in order.
///
/// Refuses, with a sentence saying where: a missing or malformed boundary, a body without
/// delimiters or without its closing delimiter, a part that is neither an operation nor a
/// change set, a change set inside a change set, a request line other than
/// `METHOD URL HTTP/1.1`, a GET (or any method but POST, PUT, PATCH and DELETE) inside a change
/// set, a Content-ID repeated within a change set, and anything over `limits`.
pub fn parse(content_type: &str, body: &[u8], limits: &Limits) -> Result<Vec<Item>, BatchError> {
    let batch_boundary = boundary(content_type)?;
    let mut reader = Reader { limits, operations: 0 };
    let mut items = Vec::new();
    for (index, part) in Parts::new(body, &batch_boundary, "The $batch body")?.enumerate() {
        let place = format!("Batch part {}", index + 1);
        let part = MimePart::parse(part?).map_err(|error| error.within(&place))?;
        let item = match part.kind().map_err(|error| error.within(&place))? {
            PartKind::Operation => {
                reader.count()?;
                Item::Operation(reader.operation(&part).map_err(|error| error.within(&place))?)
            }
            PartKind::ChangeSet(content_type) => {
                let change_set_boundary = boundary(content_type).map_err(|error| error.within(&place))?;
                Item::ChangeSet(reader.change_set(part.body, &change_set_boundary, &place)?)
            }
        };
        items.push(item);
    }
    Ok(items)
}

/// Writes the `multipart/mixed` answer to a batch; returns the `Content-Type` header value and
/// the body. The outer status is 200 whatever the parts say, as in D365.
///
/// A change set in which an operation failed is answered, as D365 does, by a single part: the
/// first failing operation's answer (the others were rolled back with it).
pub fn write(responses: &[ItemResponse]) -> (String, Vec<u8>) {
    write_with(responses, &mut Uuid::new_v4)
}

/// Replaces a leading `$<content-id>` in the URL of a change-set operation with the URL the
/// earlier operation created (its `Location`), per OData's Content-ID referencing:
/// `$1/SalesOrderLines` becomes `https://host/data/SalesOrderHeaders('A1')/SalesOrderLines`.
/// `locations` pairs the Content-IDs of the change set's operations run so far with the
/// `Location` each answered. A URL not starting with `$` comes back unchanged.
pub fn resolve_reference(url: &str, locations: &[(String, String)]) -> Result<String, BatchError> {
    let Some(reference) = url.strip_prefix('$') else {
        return Ok(url.to_owned());
    };
    let (content_id, rest) = reference.split_at(reference.find(['/', '?']).unwrap_or(reference.len()));
    match locations.iter().find(|(id, _)| id == content_id) {
        Some((_, location)) => Ok(format!("{location}{rest}")),
        None => Err(BatchError(format!(
            "The URL {} refers to Content-ID {}, which no earlier operation of its change set created.",
            shown(url),
            shown(content_id)
        ))),
    }
}

/// Counts operations across the whole batch while turning parts into [`Operation`]s.
struct Reader<'l> {
    limits: &'l Limits,
    operations: usize,
}

impl Reader<'_> {
    /// Counts one more operation, refusing the batch as soon as it goes over the limit.
    fn count(&mut self) -> Result<(), BatchError> {
        self.operations += 1;
        if self.operations > self.limits.max_operations {
            return Err(BatchError(format!(
                "The batch holds more than {} operations, the most one batch may hold.",
                self.limits.max_operations
            )));
        }
        Ok(())
    }

    /// Reads the operations of a change set whose multipart body is `body`.
    fn change_set(&mut self, body: &[u8], boundary: &str, place: &str) -> Result<Vec<Operation>, BatchError> {
        let mut operations: Vec<Operation> = Vec::new();
        let parts = Parts::new(body, boundary, "the change set").map_err(|error| error.within(place))?;
        for (index, part) in parts.enumerate() {
            let part = part.map_err(|error| error.within(place))?;
            let place = format!("{place}, change set part {}", index + 1);
            let part = MimePart::parse(part).map_err(|error| error.within(&place))?;
            if let PartKind::ChangeSet(_) = part.kind().map_err(|error| error.within(&place))? {
                return Err(BatchError("change sets cannot be nested.".to_owned()).within(&place));
            }
            self.count()?;
            let operation = self.operation(&part).map_err(|error| error.within(&place))?;
            check_change_set_member(&operation, &operations).map_err(|error| error.within(&place))?;
            operations.push(operation);
        }
        if operations.is_empty() {
            return Err(BatchError("the change set holds no operations.".to_owned()).within(place));
        }
        Ok(operations)
    }

    /// Reads the HTTP request inside an `application/http` part.
    fn operation(&self, part: &MimePart<'_>) -> Result<Operation, BatchError> {
        if part.size > self.limits.max_part_bytes {
            return Err(BatchError(format!(
                "it holds {} bytes, over the limit of {} bytes per operation.",
                part.size, self.limits.max_part_bytes
            )));
        }
        if let Some(encoding) = header(&part.headers, "Content-Transfer-Encoding")
            && !["binary", "8bit", "7bit"].iter().any(|identity| encoding.eq_ignore_ascii_case(identity))
        {
            return Err(BatchError(format!("its Content-Transfer-Encoding {} is not binary.", shown(encoding))));
        }
        let (head, body) = match RequestHead::parse(part.body)? {
            Some((head, length)) => (head, &part.body[length..]),
            // A body-less request whose blank line was taken by the next delimiter.
            None => {
                let (head, _) = RequestHead::parse(&closed(part.body))?
                    .ok_or_else(|| BatchError("it holds no HTTP request.".to_owned()))?;
                (head, &[][..])
            }
        };
        let body = match header(&head.headers, "Content-Length") {
            None => body,
            Some(length) => {
                let length: usize = length
                    .parse()
                    .map_err(|_| BatchError(format!("its Content-Length {} is not a number.", shown(length))))?;
                body.get(..length).ok_or_else(|| {
                    BatchError(format!("it declares Content-Length {length} but holds {} body bytes.", body.len()))
                })?
            }
        };
        let content_id = header(&part.headers, "Content-ID").or_else(|| header(&head.headers, "Content-ID"));
        if let Some(content_id) = content_id {
            check_content_id(content_id)?;
        }
        Ok(Operation {
            content_id: content_id.map(str::to_owned),
            method: head.method,
            url: head.url,
            headers: head.headers,
            body: body.to_vec(),
        })
    }
}

/// Refuses what OData forbids of an operation inside a change set, given the ones before it.
fn check_change_set_member(operation: &Operation, earlier: &[Operation]) -> Result<(), BatchError> {
    if !["POST", "PUT", "PATCH", "DELETE"].contains(&operation.method.as_str()) {
        return Err(BatchError(format!(
            "a change set may hold only POST, PUT, PATCH and DELETE requests, not {}.",
            shown(&operation.method)
        )));
    }
    if let Some(content_id) = &operation.content_id
        && earlier.iter().any(|other| other.content_id.as_ref() == Some(content_id))
    {
        return Err(BatchError(format!(
            "its Content-ID {} is already used by an earlier operation of the change set.",
            shown(content_id)
        )));
    }
    Ok(())
}

/// A Content-ID is an OData `request-id`: unreserved URL characters only, so that `$<id>`
/// references stay unambiguous inside URLs.
fn check_content_id(content_id: &str) -> Result<(), BatchError> {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if content_id.is_empty() || !content_id.chars().all(unreserved) {
        return Err(BatchError(format!(
            "its Content-ID {} must be letters, digits, `-`, `.`, `_` or `~`.",
            shown(content_id)
        )));
    }
    Ok(())
}

/// A boundary as RFC 2046 allows it: 1 to 70 characters from a small set, not ending in a space.
fn check_boundary(boundary: &str) -> Result<(), BatchError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if boundary.is_empty() || boundary.len() > 70 || !boundary.chars().all(allowed) || boundary.ends_with(' ') {
        return Err(BatchError(format!(
            "The boundary {} is not a multipart boundary: 1 to 70 letters, digits or '()+_,-./:=? characters.",
            shown(boundary)
        )));
    }
    Ok(())
}

/// The parts of a multipart body, each as the bytes between two delimiter lines (the line
/// break before a delimiter belongs to the delimiter, per RFC 2046). The preamble before the
/// first delimiter and the epilogue after the closing one are skipped.
struct Parts<'a> {
    body: &'a [u8],
    /// Finds `--<boundary>`.
    finder: memmem::Finder<'static>,
    /// Where the next part starts; `None` once the closing delimiter (or an error) was read.
    next: Option<usize>,
    /// What the body is, for messages: `The $batch body`, `the change set`.
    what: &'static str,
    /// The boundary, for messages.
    boundary: String,
}

/// What follows a delimiter line.
enum Delimiter {
    /// Another part, starting at this offset.
    Part(usize),
    /// Nothing: this was the closing delimiter.
    Close,
}

impl<'a> Parts<'a> {
    /// Starts reading `body` at its first delimiter line.
    fn new(body: &'a [u8], boundary: &str, what: &'static str) -> Result<Parts<'a>, BatchError> {
        let finder = memmem::Finder::new(format!("--{boundary}").as_bytes()).into_owned();
        let mut parts = Parts { body, finder, next: None, what, boundary: boundary.to_owned() };
        let (_, first) = parts
            .find_delimiter(0)
            .ok_or_else(|| BatchError(format!("{what} has no {} delimiter line.", shown(&format!("--{boundary}")))))?;
        parts.next = match first {
            Delimiter::Part(start) => Some(start),
            Delimiter::Close => None,
        };
        Ok(parts)
    }

    /// Finds the first delimiter line at or after `from`; returns where the content before it
    /// ends and what follows it. A delimiter line is `--<boundary>` at the start of a line,
    /// followed by `--` (the closing one) or by optional spaces and a line break. Elsewhere
    /// `--<boundary>` is content, and scanning goes on: each byte is looked at a bounded number
    /// of times, so a hostile body costs linear time.
    fn find_delimiter(&self, from: usize) -> Option<(usize, Delimiter)> {
        let delimiter_length = self.finder.needle().len();
        let mut search = from;
        while let Some(offset) = self.finder.find(self.body.get(search..)?) {
            let position = search + offset;
            search = position + 1;
            if position > 0 && self.body[position - 1] != b'\n' {
                continue;
            }
            let after = &self.body[position + delimiter_length..];
            let delimiter = if after.starts_with(b"--") {
                Delimiter::Close
            } else {
                let padding = after.iter().take_while(|byte| matches!(byte, b' ' | b'\t')).count();
                let line_break = match &after[padding..] {
                    [b'\r', b'\n', ..] => 2,
                    [b'\n', ..] => 1,
                    _ => continue,
                };
                Delimiter::Part(position + delimiter_length + padding + line_break)
            };
            let content_end = if self.body[..position].ends_with(b"\r\n") {
                position - 2
            } else if self.body[..position].ends_with(b"\n") {
                position - 1
            } else {
                position
            };
            return Some((content_end.max(from), delimiter));
        }
        None
    }
}

impl<'a> Iterator for Parts<'a> {
    type Item = Result<&'a [u8], BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.next.take()?;
        let Some((end, delimiter)) = self.find_delimiter(start) else {
            let closing = format!("--{}--", self.boundary);
            return Some(Err(BatchError(format!(
                "{} ends before its closing {} delimiter.",
                self.what,
                shown(&closing)
            ))));
        };
        if let Delimiter::Part(next) = delimiter {
            self.next = Some(next);
        }
        Some(Ok(&self.body[start..end]))
    }
}

/// One part of a multipart body: its MIME headers and what follows them.
struct MimePart<'a> {
    headers: Vec<(String, String)>,
    body: &'a [u8],
    /// The size of the whole part, headers included.
    size: usize,
}

/// What a part holds, by its `Content-Type`.
enum PartKind<'h> {
    /// `application/http`: one request.
    Operation,
    /// `multipart/mixed`: a change set, with this `Content-Type` value (which names its boundary).
    ChangeSet(&'h str),
}

impl<'a> MimePart<'a> {
    fn parse(part: &'a [u8]) -> Result<MimePart<'a>, BatchError> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match httparse::parse_headers(part, &mut slots) {
            Ok(httparse::Status::Complete((length, headers))) => {
                Ok(MimePart { headers: owned_headers(headers)?, body: &part[length..], size: part.len() })
            }
            // Headers and nothing else, their blank line taken by the next delimiter.
            Ok(httparse::Status::Partial) => match httparse::parse_headers(&closed(part), &mut slots) {
                Ok(httparse::Status::Complete((_, headers))) => {
                    Ok(MimePart { headers: owned_headers(headers)?, body: &[], size: part.len() })
                }
                Ok(httparse::Status::Partial) => {
                    Err(BatchError("its MIME headers do not end with a blank line.".to_owned()))
                }
                Err(error) => Err(header_error(error)),
            },
            Err(error) => Err(header_error(error)),
        }
    }

    /// Whether the part is an operation or a change set.
    fn kind(&self) -> Result<PartKind<'_>, BatchError> {
        let Some(content_type) = header(&self.headers, "Content-Type") else {
            return Err(BatchError(
                "it has no Content-Type; an operation is application/http and a change set multipart/mixed.".to_owned(),
            ));
        };
        match MediaType::parse(content_type)?.essence.as_str() {
            "application/http" => Ok(PartKind::Operation),
            "multipart/mixed" => Ok(PartKind::ChangeSet(content_type)),
            _ => Err(BatchError(format!(
                "its Content-Type {} is neither application/http nor multipart/mixed.",
                shown(content_type)
            ))),
        }
    }
}

/// The head of the HTTP request inside an operation part.
struct RequestHead {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Reads a request head; returns it with its length in bytes, or `None` when `bytes` ends
    /// before the head does.
    fn parse(bytes: &[u8]) -> Result<Option<(RequestHead, usize)>, BatchError> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut slots);
        let length = match request.parse(bytes) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::Token | httparse::Error::Version | httparse::Error::Status) => {
                return Err(BatchError("its request line is not `METHOD URL HTTP/1.1`.".to_owned()));
            }
            Err(error) => return Err(header_error(error)),
        };
        if request.version != Some(1) {
            return Err(BatchError("its request is HTTP/1.0; a batch holds HTTP/1.1 requests.".to_owned()));
        }
        let (Some(method), Some(url)) = (request.method, request.path) else {
            return Err(BatchError("its request line is not `METHOD URL HTTP/1.1`.".to_owned()));
        };
        let head =
            RequestHead { method: method.to_owned(), url: url.to_owned(), headers: owned_headers(request.headers)? };
        Ok(Some((head, length)))
    }
}

/// A header block that runs to the end of its part, closed with the blank line it lacks.
///
/// The line break before a delimiter belongs to the delimiter, so a part that is only headers
/// (`GET … HTTP/1.1\r\n` then `--batch…`, as D365FOI's `New-BatchKey` writes a DELETE) ends
/// without the blank line that ends a header block.
fn closed(head: &[u8]) -> Vec<u8> {
    let terminator: &[u8] = if head.ends_with(b"\n") { b"\r\n" } else { b"\r\n\r\n" };
    [head, terminator].concat()
}

/// The message for a header block httparse refused.
fn header_error(error: httparse::Error) -> BatchError {
    match error {
        httparse::Error::TooManyHeaders => BatchError(format!("it has more than {MAX_HEADERS} headers.")),
        error => BatchError(format!("its headers are malformed ({error}).")),
    }
}

/// Copies parsed headers out, refusing values that are not UTF-8 text.
fn owned_headers(headers: &[httparse::Header<'_>]) -> Result<Vec<(String, String)>, BatchError> {
    headers
        .iter()
        .map(|header| {
            let value = std::str::from_utf8(header.value).map_err(|_| {
                BatchError(format!("the value of its header {} is not UTF-8 text.", shown(header.name)))
            })?;
            Ok((header.name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// The value of the first header called `name`, compared without regard to case.
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(candidate, _)| candidate.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// A `Content-Type` value: `type/subtype` lowercased, and its parameters with names lowercased
/// and quoted values unquoted.
struct MediaType {
    essence: String,
    parameters: Vec<(String, String)>,
}

impl MediaType {
    fn parse(value: &str) -> Result<MediaType, BatchError> {
        let (essence, mut rest) = value.split_once(';').unwrap_or((value, ""));
        let mut parameters = Vec::new();
        loop {
            rest = rest.trim_start_matches([' ', '\t', ';']);
            if rest.is_empty() {
                break;
            }
            let Some((name, after)) = rest.split_once('=') else {
                return Err(BatchError(format!("its parameter {} has no value.", shown(rest))));
            };
            let after = after.trim_start_matches([' ', '\t']);
            let (parameter, remaining) = match after.strip_prefix('"') {
                Some(quoted) => unquote(quoted)?,
                None => {
                    let end = after.find(';').unwrap_or(after.len());
                    (after[..end].trim_end().to_owned(), &after[end..])
                }
            };
            parameters.push((name.trim().to_ascii_lowercase(), parameter));
            rest = remaining;
        }
        Ok(MediaType { essence: essence.trim().to_ascii_lowercase(), parameters })
    }
}

/// Reads a quoted string whose opening quote was just taken; returns its value and the text
/// after it, which may hold only spaces before the next `;`.
fn unquote(quoted: &str) -> Result<(String, &str), BatchError> {
    let mut value = String::new();
    let mut characters = quoted.char_indices();
    while let Some((index, character)) = characters.next() {
        match character {
            '"' => {
                let rest = &quoted[index + 1..];
                let next = rest.trim_start_matches([' ', '\t']);
                if !next.is_empty() && !next.starts_with(';') {
                    return Err(BatchError(format!("it has text {} after a quoted value.", shown(rest))));
                }
                return Ok((value, rest));
            }
            '\\' => value.extend(characters.next().map(|(_, escaped)| escaped)),
            other => value.push(other),
        }
    }
    Err(BatchError("a quoted value in it has no closing quote.".to_owned()))
}

/// Client text for a message: quoted, control characters escaped, cut to a readable length.
fn shown(text: &str) -> String {
    const MOST: usize = 80;
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// [`write`] with the boundaries' random part supplied, so tests can pin them.
fn write_with(responses: &[ItemResponse], new_id: &mut dyn FnMut() -> Uuid) -> (String, Vec<u8>) {
    let boundary = format!("batchresponse_{}", new_id());
    let mut body = Vec::new();
    for item in responses {
        push_line(&mut body, &format!("--{boundary}"));
        match item {
            ItemResponse::Operation(response) => write_operation(&mut body, response),
            ItemResponse::ChangeSet(responses) => {
                let change_set = format!("changesetresponse_{}", new_id());
                push_line(&mut body, &format!("Content-Type: multipart/mixed; boundary={change_set}"));
                push_line(&mut body, "");
                let written = match responses.iter().find(|response| response.status >= 400) {
                    Some(failed) => slice::from_ref(failed),
                    None => responses.as_slice(),
                };
                for response in written {
                    push_line(&mut body, &format!("--{change_set}"));
                    write_operation(&mut body, response);
                    push_line(&mut body, "");
                }
                body.extend_from_slice(format!("--{change_set}--").as_bytes());
            }
        }
        push_line(&mut body, "");
    }
    push_line(&mut body, &format!("--{boundary}--"));
    (format!("multipart/mixed; boundary={boundary}"), body)
}

/// Writes one `application/http` part: MIME headers, status line, headers, blank line, body.
/// Header text loses any CR or LF, so a value cannot start a header or part of its own.
fn write_operation(out: &mut Vec<u8>, response: &OperationResponse) {
    push_line(out, "Content-Type: application/http");
    push_line(out, "Content-Transfer-Encoding: binary");
    // Content-ID comes last, right before the status line: D365FOI matches answers to requests
    // with a regular expression that expects exactly that.
    if let Some(content_id) = &response.content_id {
        push_line(out, &format!("Content-ID: {}", one_line(content_id)));
    }
    push_line(out, "");
    let reason = http::StatusCode::from_u16(response.status).ok().and_then(|status| status.canonical_reason());
    push_line(out, &format!("HTTP/1.1 {} {}", response.status, reason.unwrap_or("")));
    for (name, value) in &response.headers {
        push_line(out, &format!("{}: {}", one_line(name), one_line(value)));
    }
    push_line(out, "");
    out.extend_from_slice(&response.body);
}

/// Appends `line` and the CRLF that ends it.
fn push_line(out: &mut Vec<u8>, line: &str) {
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `text` with CR and LF replaced by spaces.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_operations: 5000, max_part_bytes: 1 << 20 };

    const BATCH_TYPE: &str = "multipart/mixed; boundary=batch_7c3f";

    fn operation(content_id: Option<&str>, method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Operation {
        Operation {
            content_id: content_id.map(str::to_owned),
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// A batch body with CRLF line ends written as `\n` for readability.
    fn crlf(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    fn refused(content_type: &str, body: &[u8], limits: &Limits) -> String {
        parse(content_type, body, limits).expect_err("the batch should be refused").0
    }

    /// The body D365FOI's `Import-D365ODataEntityBatchMode` sends: `New-BatchContent` per
    /// record, with `AppendLine`, the padding spaces it calls important, and no line break
    /// after the closing delimiter. `line` is what `AppendLine` ends lines with.
    fn d365foi_batch(line: &str, payloads: &[&str]) -> String {
        let url = "https://usnconeboxax1aos.cloud.onebox.dynamics.com/data";
        let mut data = String::new();
        data += &format!("--batch_5e1a {line}");
        data += &format!("Content-Type: multipart/mixed; boundary=changeset_9f0b {line}{line}");
        data += &format!("--changeset_9f0b {line}");
        for (index, payload) in payloads.iter().enumerate() {
            let count = index + 1;
            data += &format!("Content-Type: application/http{line}");
            data += &format!("Content-Transfer-Encoding: binary{line}");
            data += &format!("Content-ID: {count}{line}");
            data += line;
            data += &format!("POST {url}/ExchangeRates HTTP/1.1{line}");
            data += &format!("OData-Version: 4.0{line}");
            data += &format!("OData-MaxVersion: 4.0{line}");
            data += &format!("Content-Type: application/json;odata.metadata=minimal;charset=UTF-8{line}");
            data += line;
            data += &format!("{payload}{line}");
            data += if count == payloads.len() { "--changeset_9f0b--" } else { "--changeset_9f0b" };
            data += line;
        }
        data += "--batch_5e1a--";
        data
    }

    const RATE_DKK: &str = r#"{"@odata.type" :"Microsoft.Dynamics.DataEntities.ExchangeRate", "RateTypeName": "TEST", "FromCurrency": "DKK", "ToCurrency": "EUR", "StartDate": "2019-01-03T00:00:00Z", "Rate": 745.10, "ConversionFactor": "Hundred", "RateTypeDescription": "TEST"}"#;
    const RATE_SEK: &str = r#"{"@odata.type" :"Microsoft.Dynamics.DataEntities.ExchangeRate", "RateTypeName": "TEST", "FromCurrency": "SEK", "ToCurrency": "EUR", "StartDate": "2019-01-03T00:00:00Z", "Rate": 1040.25, "ConversionFactor": "Hundred", "RateTypeDescription": "TEST"}"#;

    fn d365foi_operations() -> Vec<Operation> {
        let headers = [
            ("OData-Version", "4.0"),
            ("OData-MaxVersion", "4.0"),
            ("Content-Type", "application/json;odata.metadata=minimal;charset=UTF-8"),
        ];
        let url = "https://usnconeboxax1aos.cloud.onebox.dynamics.com/data/ExchangeRates";
        vec![
            operation(Some("1"), "POST", url, &headers, RATE_DKK),
            operation(Some("2"), "POST", url, &headers, RATE_SEK),
        ]
    }

    #[test]
    fn the_d365foi_batch_import_parses_into_one_change_set_of_posts() {
        let body = d365foi_batch("\r\n", &[RATE_DKK, RATE_SEK]);
        let items = parse("multipart/mixed; boundary=batch_5e1a", body.as_bytes(), &LIMITS).expect("parses");
        assert_eq!(items, vec![Item::ChangeSet(d365foi_operations())]);
    }

    #[test]
    fn the_d365foi_batch_import_parses_with_bare_lf_line_ends_too() {
        let body = d365foi_batch("\n", &[RATE_DKK, RATE_SEK]);
        let items = parse("multipart/mixed; boundary=batch_5e1a", body.as_bytes(), &LIMITS).expect("parses");
        assert_eq!(items, vec![Item::ChangeSet(d365foi_operations())]);
    }

    #[test]
    fn the_boundary_is_read_quoted_or_not_in_any_case_and_without_trailing_padding() {
        assert_eq!(boundary("multipart/mixed; boundary=batch_1").expect("valid"), "batch_1");
        assert_eq!(boundary("Multipart/Mixed;BOUNDARY=\"batch 1:2\"").expect("valid"), "batch 1:2");
        assert_eq!(boundary("multipart/mixed; charset=utf-8; boundary=changeset_9 ").expect("valid"), "changeset_9");
        assert_eq!(boundary("multipart/mixed; boundary=\"a\\:b\" ; x=y").expect("valid"), "a:b");
    }

    #[test]
    fn a_missing_or_garbled_boundary_is_refused_with_the_reason() {
        let cases = [
            ("application/json", "is not multipart/mixed"),
            ("multipart/mixed", "names no boundary"),
            ("multipart/mixed; charset=utf-8", "names no boundary"),
            ("multipart/mixed; boundary=", "is not a multipart boundary"),
            ("multipart/mixed; boundary=\"\"", "is not a multipart boundary"),
            ("multipart/mixed; boundary=\"abc", "has no closing quote"),
            ("multipart/mixed; boundary=\"abc\" junk", "after a quoted value"),
            ("multipart/mixed; boundary", "has no value"),
            ("multipart/mixed; boundary=a{b}", "is not a multipart boundary"),
            ("multipart/mixed; boundary=\"a\\\"b\"", "is not a multipart boundary"),
            ("multipart/mixed; boundary=\"ends in space \"", "is not a multipart boundary"),
        ];
        for (content_type, expected) in cases {
            let error = boundary(content_type).expect_err(content_type).0;
            assert!(error.contains(expected), "{content_type}: {error}");
        }
        let long = format!("multipart/mixed; boundary={}", "b".repeat(71));
        assert!(boundary(&long).expect_err("too long").0.contains("1 to 70"));
    }

    #[test]
    fn preamble_epilogue_top_level_operations_and_header_case_are_handled() {
        let body = crlf(
            "This preamble is ignored.\n\
             --batch_7c3f\n\
             content-type: Application/HTTP\n\
             CONTENT-TRANSFER-ENCODING: Binary\n\
             content-id: q1\n\
             \n\
             GET Customers?$top=2 HTTP/1.1\n\
             Accept: application/json\n\
             \n\
             \n\
             --batch_7c3f\n\
             Content-Type: application/http\n\
             \n\
             GET /data/Customers('C1') HTTP/1.1\n\
             --batch_7c3f--\n\
             This epilogue is ignored too.\n",
        );
        let items = parse(BATCH_TYPE, &body, &LIMITS).expect("parses");
        assert_eq!(
            items,
            vec![
                Item::Operation(operation(
                    Some("q1"),
                    "GET",
                    "Customers?$top=2",
                    &[("Accept", "application/json")],
                    ""
                )),
                Item::Operation(operation(None, "GET", "/data/Customers('C1')", &[], "")),
            ]
        );
        let Item::Operation(first) = &items[0] else { panic!("an operation") };
        assert_eq!(first.header("ACCEPT"), Some("application/json"));
    }

    #[test]
    fn a_batch_written_by_another_mime_library_parses() {
        // Python's `email` package (policy HTTP) wrote this: MIME-Version headers, a quoted
        // nested boundary, a blank line before each delimiter and after the last one.
        let body = crlf(
            "--batch_xyz\n\
             Content-Type: application/http\n\
             MIME-Version: 1.0\n\
             Content-Transfer-Encoding: binary\n\
             \n\
             GET Customers HTTP/1.1\n\
             Accept: application/json\n\
             \n\
             \n\
             --batch_xyz\n\
             Content-Type: multipart/mixed; boundary=\"changeset_abc\"\n\
             MIME-Version: 1.0\n\
             \n\
             --changeset_abc\n\
             Content-Type: application/http\n\
             MIME-Version: 1.0\n\
             Content-Transfer-Encoding: binary\n\
             Content-ID: 1\n\
             \n\
             POST Customers HTTP/1.1\n\
             Content-Type: application/json\n\
             \n\
             {\"a\":1}\n\
             --changeset_abc\n\
             Content-Type: application/http\n\
             MIME-Version: 1.0\n\
             Content-Transfer-Encoding: binary\n\
             Content-ID: 2\n\
             \n\
             PATCH $1 HTTP/1.1\n\
             Content-Type: application/json\n\
             \n\
             {\"b\":2}\n\
             --changeset_abc--\n\
             \n\
             --batch_xyz--\n",
        );
        let items = parse("multipart/mixed; boundary=\"batch_xyz\"", &body, &LIMITS).expect("parses");
        let json = [("Content-Type", "application/json")];
        assert_eq!(
            items,
            vec![
                Item::Operation(operation(None, "GET", "Customers", &[("Accept", "application/json")], "")),
                Item::ChangeSet(vec![
                    operation(Some("1"), "POST", "Customers", &json, r#"{"a":1}"#),
                    operation(Some("2"), "PATCH", "$1", &json, r#"{"b":2}"#),
                ]),
            ]
        );
    }

    #[test]
    fn a_quoted_boundary_and_a_body_less_delete_at_the_delimiter_are_read() {
        // D365FOI's `New-BatchKey` ends a DELETE with one blank line that the delimiter takes.
        let body = crlf(
            "--batch 7c3f\n\
             Content-Type: multipart/mixed; boundary=\"change set\"\n\
             \n\
             --change set\n\
             Content-Type: application/http\n\
             Content-Transfer-Encoding: binary\n\
             Content-ID: 1\n\
             \n\
             DELETE /data/Customers(dataAreaId='usmf',CustomerAccount='C1') HTTP/1.1\n\
             \n\
             --change set--\n\
             --batch 7c3f--",
        );
        let items = parse("multipart/mixed; boundary=\"batch 7c3f\"", &body, &LIMITS).expect("parses");
        let url = "/data/Customers(dataAreaId='usmf',CustomerAccount='C1')";
        assert_eq!(items, vec![Item::ChangeSet(vec![operation(Some("1"), "DELETE", url, &[], "")])]);
    }

    #[test]
    fn content_length_bounds_the_body_and_a_longer_one_is_refused() {
        let part = |length: &str| {
            crlf(&format!(
                "--batch_7c3f\n\
                 Content-Type: application/http\n\
                 \n\
                 POST Customers HTTP/1.1\n\
                 Content-Length: {length}\n\
                 \n\
                 {{\"a\":1}}\n\
                 \n\
                 --batch_7c3f--"
            ))
        };
        let items = parse(BATCH_TYPE, &part("7"), &LIMITS).expect("parses");
        let Item::Operation(posted) = &items[0] else { panic!("an operation") };
        assert_eq!(posted.body, b"{\"a\":1}");
        assert!(refused(BATCH_TYPE, &part("70"), &LIMITS).contains("declares Content-Length 70 but holds 9"));
        assert!(refused(BATCH_TYPE, &part("-1"), &LIMITS).contains("is not a number"));
    }

    #[test]
    fn a_body_without_delimiters_or_without_its_closing_delimiter_is_refused() {
        let no_delimiter = refused(BATCH_TYPE, b"POST Customers HTTP/1.1\r\n\r\n{}", &LIMITS);
        assert_eq!(no_delimiter, "The $batch body has no \"--batch_7c3f\" delimiter line.");
        let unterminated = crlf(
            "--batch_7c3f\n\
             Content-Type: application/http\n\
             \n\
             GET Customers HTTP/1.1\n\
             \n",
        );
        let error = refused(BATCH_TYPE, &unterminated, &LIMITS);
        assert_eq!(error, "The $batch body ends before its closing \"--batch_7c3f--\" delimiter.");
        // A delimiter that is not at the start of a line is content, not a delimiter.
        let inline = crlf("--batch_7c3f\nContent-Type: application/http\n\nGET Customers HTTP/1.1 --batch_7c3f--");
        assert!(refused(BATCH_TYPE, &inline, &LIMITS).contains("ends before its closing"));
        let unterminated_change_set = crlf(
            "--batch_7c3f\n\
             Content-Type: multipart/mixed; boundary=cs\n\
             \n\
             --cs\n\
             Content-Type: application/http\n\
             \n\
             DELETE Customers('C1') HTTP/1.1\n\
             --batch_7c3f--",
        );
        let error = refused(BATCH_TYPE, &unterminated_change_set, &LIMITS);
        assert_eq!(error, "Batch part 1: the change set ends before its closing \"--cs--\" delimiter.");
    }

    #[test]
    fn a_change_set_inside_a_change_set_is_refused() {
        let body = crlf(
            "--batch_7c3f\n\
             Content-Type: multipart/mixed; boundary=outer\n\
             \n\
             --outer\n\
             Content-Type: multipart/mixed; boundary=inner\n\
             \n\
             --inner\n\
             Content-Type: application/http\n\
             \n\
             DELETE Customers('C1') HTTP/1.1\n\
             --inner--\n\
             --outer--\n\
             --batch_7c3f--",
        );
        assert_eq!(
            refused(BATCH_TYPE, &body, &LIMITS),
            "Batch part 1, change set part 1: change sets cannot be nested."
        );
    }

    #[test]
    fn get_inside_a_change_set_is_refused() {
        let body = crlf(
            "--batch_7c3f\n\
             Content-Type: multipart/mixed; boundary=cs\n\
             \n\
             --cs\n\
             Content-Type: application/http\n\
             Content-ID: 1\n\
             \n\
             GET Customers HTTP/1.1\n\
             \n\
             --cs--\n\
             --batch_7c3f--",
        );
        let error = refused(BATCH_TYPE, &body, &LIMITS);
        assert!(error.contains("may hold only POST, PUT, PATCH and DELETE requests, not \"GET\""), "{error}");
    }

    fn change_set(content_ids: &[&str]) -> Vec<u8> {
        let mut body = String::from("--batch_7c3f\nContent-Type: multipart/mixed; boundary=cs\n\n");
        for content_id in content_ids {
            body += &format!(
                "--cs\nContent-Type: application/http\nContent-ID: {content_id}\n\nPOST Customers HTTP/1.1\n\n{{}}\n"
            );
        }
        body += "--cs--\n--batch_7c3f--\n";
        crlf(&body)
    }

    #[test]
    fn a_content_id_repeated_within_a_change_set_is_refused() {
        let error = refused(BATCH_TYPE, &change_set(&["1", "2", "1"]), &LIMITS);
        assert_eq!(
            error,
            "Batch part 1, change set part 3: its Content-ID \"1\" is already used by an earlier operation of the change set."
        );
        let error = refused(BATCH_TYPE, &change_set(&["1", "$2"]), &LIMITS);
        assert!(error.contains("must be letters, digits"), "{error}");
        let mut two_change_sets = change_set(&["1"]);
        two_change_sets.truncate(two_change_sets.len() - "--batch_7c3f--\r\n".len());
        two_change_sets.extend(change_set(&["1"]));
        let items = parse(BATCH_TYPE, &two_change_sets, &LIMITS).expect("a Content-ID may recur in another change set");
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn an_empty_change_set_is_refused() {
        let body = crlf("--batch_7c3f\nContent-Type: multipart/mixed; boundary=cs\n\n--cs--\n--batch_7c3f--");
        assert_eq!(refused(BATCH_TYPE, &body, &LIMITS), "Batch part 1: the change set holds no operations.");
    }

    #[test]
    fn more_operations_than_the_limit_are_refused_before_reading_further_parts() {
        let limits = Limits { max_operations: 3, ..LIMITS };
        parse(BATCH_TYPE, &change_set(&["1", "2", "3"]), &limits).expect("three operations are within the limit");
        let error = refused(BATCH_TYPE, &change_set(&["1", "2", "3", "4"]), &limits);
        assert_eq!(error, "The batch holds more than 3 operations, the most one batch may hold.");
        // The part after the limit is garbage: the count refuses the batch before reading it.
        let mut body = crlf("--batch_7c3f\nContent-Type: application/http\n\nGET A HTTP/1.1\n\n").repeat(3);
        body.extend(crlf("--batch_7c3f\nContent-Type: application/http\n\n\x00\x01garbage\n--batch_7c3f--"));
        assert_eq!(
            refused(BATCH_TYPE, &body, &limits),
            "The batch holds more than 3 operations, the most one batch may hold."
        );
    }

    #[test]
    fn a_part_over_the_size_limit_is_refused() {
        let limits = Limits { max_part_bytes: 1000, ..LIMITS };
        let body = |size: usize| {
            let mut body = crlf("--batch_7c3f\nContent-Type: application/http\n\nPOST Customers HTTP/1.1\n\n");
            body.extend(std::iter::repeat_n(b'x', size));
            body.extend(crlf("\n--batch_7c3f--"));
            body
        };
        parse(BATCH_TYPE, &body(900), &limits).expect("within the limit");
        let error = refused(BATCH_TYPE, &body(2000), &limits);
        assert_eq!(error, "Batch part 1: it holds 2061 bytes, over the limit of 1000 bytes per operation.");
    }

    #[test]
    fn request_lines_other_than_method_url_http_1_1_are_refused() {
        let cases = [
            ("POST Customers", "is not `METHOD URL HTTP/1.1`"),
            ("POST Customers HTTP/2.0", "is not `METHOD URL HTTP/1.1`"),
            ("POST  Customers HTTP/1.1", "is not `METHOD URL HTTP/1.1`"),
            ("POST Cust omers HTTP/1.1", "is not `METHOD URL HTTP/1.1`"),
            ("HTTP/1.1 200 OK", "is not `METHOD URL HTTP/1.1`"),
            ("POST Customers HTTP/1.0", "a batch holds HTTP/1.1 requests"),
        ];
        for (line, expected) in cases {
            let body = crlf(&format!("--batch_7c3f\nContent-Type: application/http\n\n{line}\n\n{{}}\n--batch_7c3f--"));
            let error = refused(BATCH_TYPE, &body, &LIMITS);
            assert!(error.starts_with("Batch part 1: ") && error.contains(expected), "{line:?}: {error}");
        }
    }

    #[test]
    fn parts_that_are_not_operations_or_change_sets_are_refused() {
        let cases = [
            ("Content-Type: text/plain\n", "is neither application/http nor multipart/mixed"),
            ("X-Other: 1\n", "has no Content-Type"),
            ("Content-Type: application/http\nContent-Transfer-Encoding: base64\n", "is not binary"),
            ("Content-Type: application/http\nBroken Header\n", "headers are malformed"),
            ("Content-Type: application/http\n", "holds no HTTP request"),
        ];
        for (headers, expected) in cases {
            let body = crlf(&format!("--batch_7c3f\n{headers}\n--batch_7c3f--"));
            let error = refused(BATCH_TYPE, &body, &LIMITS);
            assert!(error.contains(expected), "{headers:?}: {error}");
        }
        let many = (0..=MAX_HEADERS).map(|index| format!("X-{index}: 1\n")).collect::<String>();
        let body =
            crlf(&format!("--batch_7c3f\nContent-Type: application/http\n{many}\nGET A HTTP/1.1\n--batch_7c3f--"));
        assert!(refused(BATCH_TYPE, &body, &LIMITS).contains("more than 64 headers"));
        let mut body = crlf("--batch_7c3f\nContent-Type: application/http\n\nGET A HTTP/1.1\nX-Bad: ");
        body.extend([0xff, 0xfe]);
        body.extend(crlf("\n\n--batch_7c3f--"));
        assert!(refused(BATCH_TYPE, &body, &LIMITS).contains("is not UTF-8 text"));
    }

    #[test]
    fn binary_garbage_and_ten_megabytes_without_a_boundary_are_refused_quickly() {
        let garbage: Vec<u8> = (0..100_000u32).map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert!(refused(BATCH_TYPE, &garbage, &LIMITS).contains("has no \"--batch_7c3f\" delimiter line"));
        let started = std::time::Instant::now();
        let mut huge = vec![b'-'; 10 << 20];
        assert!(refused(BATCH_TYPE, &huge, &LIMITS).contains("has no \"--batch_7c3f\" delimiter line"));
        huge[..14].copy_from_slice(b"--batch_7c3f\r\n");
        assert!(refused(BATCH_TYPE, &huge, &LIMITS).contains("ends before its closing"));
        // Near-delimiters on every line: still one linear pass.
        let near = b"--batch_7c3\n".repeat(1 << 20);
        assert!(refused(BATCH_TYPE, &near, &LIMITS).contains("has no \"--batch_7c3f\" delimiter line"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    }

    /// xorshift64*: a seeded generator, so a failing input can be reproduced.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound.max(1) as u64) as usize
        }
    }

    #[test]
    fn random_and_mutated_bodies_never_panic() {
        let seeds = [
            d365foi_batch("\r\n", &[RATE_DKK, RATE_SEK]).into_bytes(),
            d365foi_batch("\n", &[RATE_DKK]).into_bytes(),
            change_set(&["1", "2"]),
        ];
        let fragments: [&[u8]; 9] = [
            b"--batch_5e1a",
            b"--changeset_9f0b",
            b"--cs",
            b"--",
            b"\r\n",
            b"\n",
            b"Content-Type: multipart/mixed; boundary=cs\r\n",
            b"HTTP/1.1",
            b"\"",
        ];
        let limits = Limits { max_operations: 50, max_part_bytes: 4096 };
        let mut random = Random(0x5eed_0bad_cafe_f00d);
        for round in 0..20_000 {
            let mut body = seeds[round % seeds.len()].clone();
            for _ in 0..1 + random.below(4) {
                let at = random.below(body.len() + 1);
                match random.below(5) {
                    0 if !body.is_empty() => {
                        let last = body.len() - 1;
                        body[at.min(last)] = random.next() as u8;
                    }
                    1 => {
                        let end = (at + random.below(64)).min(body.len());
                        body.drain(at..end);
                    }
                    2 => {
                        let fragment = fragments[random.below(fragments.len())];
                        body.splice(at..at, fragment.iter().copied());
                    }
                    3 => {
                        let end = (at + random.below(256)).min(body.len());
                        let copy = body[at..end].to_vec();
                        body.splice(at..at, copy);
                    }
                    _ => body.truncate(at),
                }
            }
            let content_type = match round % 3 {
                0 => "multipart/mixed; boundary=batch_5e1a",
                1 => "multipart/mixed; boundary=batch_7c3f",
                _ => "multipart/mixed; boundary=\"--\"",
            };
            let _ = parse(content_type, &body, &limits);
            let noise: Vec<u8> = (0..random.below(512)).map(|_| random.next() as u8).collect();
            let _ = parse(content_type, &noise, &limits);
            let _ = boundary(&String::from_utf8_lossy(&noise));
            let _ = resolve_reference(&String::from_utf8_lossy(&noise), &[("1".to_owned(), "x".to_owned())]);
        }
    }

    fn pinned_ids() -> impl FnMut() -> Uuid {
        let mut next = 0u128;
        move || {
            next += 1;
            Uuid::from_u128(next)
        }
    }

    #[test]
    fn a_failed_change_set_is_written_as_its_single_failing_part_as_d365_answers() {
        let json = "application/json; odata.metadata=minimal; charset=utf-8";
        let error = r#"{"error":{"code":"","message":"An error has occurred."}}"#;
        let created = OperationResponse {
            content_id: Some("1".to_owned()),
            status: 201,
            headers: vec![("Location".to_owned(), "https://host/data/CustomerGroups('A')".to_owned())],
            body: b"{}".to_vec(),
        };
        let failed = OperationResponse {
            content_id: Some("2".to_owned()),
            status: 500,
            headers: vec![("Content-Type".to_owned(), json.to_owned()), ("OData-Version".to_owned(), "4.0".to_owned())],
            body: error.as_bytes().to_vec(),
        };
        let (content_type, body) = write_with(&[ItemResponse::ChangeSet(vec![created, failed])], &mut pinned_ids());
        let batch = "batchresponse_00000000-0000-0000-0000-000000000001";
        let change_set = "changesetresponse_00000000-0000-0000-0000-000000000002";
        assert_eq!(content_type, format!("multipart/mixed; boundary={batch}"));
        let expected = crlf(&format!(
            "--{batch}\n\
             Content-Type: multipart/mixed; boundary={change_set}\n\
             \n\
             --{change_set}\n\
             Content-Type: application/http\n\
             Content-Transfer-Encoding: binary\n\
             Content-ID: 2\n\
             \n\
             HTTP/1.1 500 Internal Server Error\n\
             Content-Type: {json}\n\
             OData-Version: 4.0\n\
             \n\
             {error}\n\
             --{change_set}--\n\
             --{batch}--\n"
        ));
        assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&expected));
    }

    #[test]
    fn written_responses_split_back_into_their_parts() {
        let response = |content_id: Option<&str>, status: u16, body: &str| OperationResponse {
            content_id: content_id.map(str::to_owned),
            status,
            headers: vec![("OData-Version".to_owned(), "4.0".to_owned())],
            body: body.as_bytes().to_vec(),
        };
        let responses = [
            ItemResponse::Operation(response(None, 200, r#"{"value":[]}"#)),
            ItemResponse::ChangeSet(vec![response(Some("1"), 201, "{}"), response(Some("2"), 204, "")]),
            ItemResponse::Operation(response(Some("q"), 799, "")),
        ];
        let (content_type, body) = write(&responses);
        let boundary = boundary(&content_type).expect("a valid boundary");
        assert!(boundary.starts_with("batchresponse_"));
        let parts: Vec<&[u8]> = Parts::new(&body, &boundary, "the response")
            .expect("delimited")
            .collect::<Result<_, _>>()
            .expect("well-formed");
        assert_eq!(parts.len(), 3);
        let first = MimePart::parse(parts[0]).expect("headers");
        assert_eq!(first.body, b"HTTP/1.1 200 OK\r\nOData-Version: 4.0\r\n\r\n{\"value\":[]}");
        let change_set = MimePart::parse(parts[1]).expect("headers");
        let PartKind::ChangeSet(content_type) = change_set.kind().expect("a kind") else { panic!("a change set") };
        let inner = super::boundary(content_type).expect("a valid boundary");
        let answers: Vec<MimePart<'_>> = Parts::new(change_set.body, &inner, "the change set")
            .expect("delimited")
            .map(|part| MimePart::parse(part.expect("well-formed")).expect("headers"))
            .collect();
        assert_eq!(answers.len(), 2, "a change set that succeeded answers every operation");
        assert_eq!(header(&answers[0].headers, "Content-ID"), Some("1"));
        assert_eq!(answers[0].body, b"HTTP/1.1 201 Created\r\nOData-Version: 4.0\r\n\r\n{}");
        assert_eq!(answers[1].body, b"HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n");
        let last = MimePart::parse(parts[2]).expect("headers");
        assert!(last.body.starts_with(b"HTTP/1.1 799 \r\n"), "an unknown status has an empty reason");
    }

    #[test]
    fn written_header_text_cannot_break_out_of_its_line() {
        let response = OperationResponse {
            content_id: Some("1\r\n\r\nHTTP/1.1 200 OK".to_owned()),
            status: 201,
            headers: vec![("Location".to_owned(), "x\r\n--batchresponse_1--\r\nEvil: 1".to_owned())],
            body: Vec::new(),
        };
        let (_, body) = write(&[ItemResponse::Operation(response)]);
        let body = String::from_utf8(body).expect("text");
        assert!(body.contains("Content-ID: 1    HTTP/1.1 200 OK\r\n"), "{body}");
        assert!(body.contains("Location: x  --batchresponse_1--  Evil: 1\r\n"), "{body}");
    }

    #[test]
    fn a_leading_content_id_reference_is_replaced_by_the_created_location() {
        let locations = [
            ("1".to_owned(), "https://host/data/SalesOrderHeaders('A1')".to_owned()),
            ("12".to_owned(), "https://host/data/Customers('C1')".to_owned()),
        ];
        assert_eq!(resolve_reference("$1", &locations).expect("known"), "https://host/data/SalesOrderHeaders('A1')");
        assert_eq!(
            resolve_reference("$1/SalesOrderLines", &locations).expect("known"),
            "https://host/data/SalesOrderHeaders('A1')/SalesOrderLines"
        );
        assert_eq!(
            resolve_reference("$12?$select=Name", &locations).expect("known"),
            "https://host/data/Customers('C1')?$select=Name"
        );
        assert_eq!(resolve_reference("Customers('$1')", &locations).expect("no reference"), "Customers('$1')");
        let error = resolve_reference("$2/Lines", &locations).expect_err("unknown");
        assert_eq!(
            error.0,
            "The URL \"$2/Lines\" refers to Content-ID \"2\", which no earlier operation of its change set created."
        );
    }
}
