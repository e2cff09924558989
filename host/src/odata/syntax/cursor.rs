//! A cursor over the text being parsed: the position, looking ahead, whitespace, identifiers,
//! and errors that say where the text went wrong and what was found there.

use super::SyntaxError;

/// The longest identifier the ABNF allows (`odataIdentifier`: 1 + 127 characters).
const MAX_IDENTIFIER_CHARS: usize = 128;

/// A position in a text. Parsers move it forward as they accept input and may set it back to a
/// saved position to look ahead.
#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    /// The whole text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of the cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves the cursor back (or forward) to a position saved earlier with [`Cursor::pos`].
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The text from the cursor on.
    pub fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Whether the whole text has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// The character at the cursor.
    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character after the one at the cursor.
    pub fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    /// Moves past `len` bytes, which the caller has looked at.
    pub fn advance(&mut self, len: usize) {
        self.pos = (self.pos + len).min(self.text.len());
    }

    /// Moves past one character and returns it.
    pub fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Moves past `c` if it is at the cursor.
    pub fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Moves past `c`, or fails saying `c` was expected `context` (e.g. "to close the key").
    pub fn expect(&mut self, c: char, context: &str) -> Result<(), SyntaxError> {
        if self.eat(c) { Ok(()) } else { Err(self.error(format!("expected `{c}` {context}, found {}", self.found()))) }
    }

    /// Fails unless the whole text has been read; `context` names what was just read.
    pub fn expect_end(&self, context: &str) -> Result<(), SyntaxError> {
        if self.at_end() { Ok(()) } else { Err(self.error(format!("unexpected {} {context}", self.found()))) }
    }

    /// Moves past spaces and tabs (the ABNF's `BWS`, once percent-decoded) and says how many.
    pub fn skip_whitespace(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The length in bytes of the `odataIdentifier` at the cursor, 0 if there is none.
    pub fn identifier_len(&self) -> usize {
        identifier_len(self.rest())
    }

    /// Reads an `odataIdentifier` (a letter or `_`, then letters, digits and `_`), or returns
    /// `None` without moving if there is none. Fails on one longer than 128 characters.
    pub fn identifier(&mut self) -> Result<Option<&'a str>, SyntaxError> {
        let len = self.identifier_len();
        if len == 0 {
            return Ok(None);
        }
        let identifier = &self.rest()[..len];
        if identifier.chars().count() > MAX_IDENTIFIER_CHARS {
            return Err(self.error(format!("a name may have at most {MAX_IDENTIFIER_CHARS} characters")));
        }
        self.pos += len;
        Ok(Some(identifier))
    }

    /// Reads a name that may be qualified by a namespace (`Name`, `Model.Type`,
    /// `Microsoft.Dynamics.DataEntities.NoYes`), or returns `None` without moving if no
    /// identifier starts here. Fails on a dot not followed by an identifier.
    pub fn qualified_name(&mut self) -> Result<Option<&'a str>, SyntaxError> {
        let start = self.pos;
        if self.identifier()?.is_none() {
            return Ok(None);
        }
        while self.peek() == Some('.') {
            let dot = self.pos;
            self.pos += 1;
            if self.identifier()?.is_none() {
                return Err(self.error_at(dot, format!("`.` must be followed by a name, found {}", self.found())));
            }
        }
        Ok(Some(&self.text[start..self.pos]))
    }

    /// The length of the `qualified_name` at the cursor, 0 if there is none or it is malformed.
    pub fn qualified_name_len(&self) -> usize {
        let mut probe = self.clone();
        match probe.qualified_name() {
            Ok(Some(name)) => name.len(),
            _ => 0,
        }
    }

    /// Whether the identifier at the cursor is `word`, ignoring ASCII case (4.01 operators,
    /// functions and keywords are case-insensitive).
    pub fn at_keyword(&self, word: &str) -> bool {
        let len = self.identifier_len();
        len == word.len() && self.rest()[..len].eq_ignore_ascii_case(word)
    }

    /// Describes what is at the cursor, for error messages: "`x`", "a space" or "the end of
    /// the text".
    pub fn found(&self) -> String {
        describe(self.peek())
    }

    /// Like [`Cursor::found`], but names a whole word: "`foo`" rather than "`f`".
    pub fn found_token(&self) -> String {
        match self.identifier_len() {
            0 => self.found(),
            len => format!("`{}`", &self.rest()[..len]),
        }
    }

    /// An error at the cursor.
    pub fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), position: self.pos }
    }

    /// An error at `position`.
    pub fn error_at(&self, position: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), position }
    }
}

/// Describes a character for an error message.
pub(super) fn describe(c: Option<char>) -> String {
    match c {
        None => "the end of the text".into(),
        Some(' ') => "a space".into(),
        Some('\t') => "a tab".into(),
        Some(c) if c.is_control() => format!("the control character {:?}", c),
        Some(c) => format!("`{c}`"),
    }
}

/// Whether `c` may start an identifier: the ABNF's `ALPHA / "_"` plus Unicode letters.
pub(super) fn is_identifier_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

/// Whether `c` may continue an identifier: letters, digits and `_`.
pub(super) fn is_identifier_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The length in bytes of the identifier at the start of `text`, 0 if there is none.
pub(super) fn identifier_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if is_identifier_start(c) => {}
        _ => return 0,
    }
    chars.find(|&(_, c)| !is_identifier_char(c)).map_or(text.len(), |(index, _)| index)
}
