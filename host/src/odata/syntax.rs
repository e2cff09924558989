//! The OData v4 URL syntax Wharf reads: resource paths, key predicates, system query options
//! and the `$filter`/`$orderby` expression language with its primitive literals, parsed into
//! the types below. Pure: no store, no HTTP. Rules and names follow the OASIS ABNF
//! (`odata-abnf-construction-rules`); the parser accepts what the ABNF accepts for the parts
//! Wharf serves and says where the input went wrong otherwise.
//!
//! Parsing is separate from serving: an expression can parse (`in`, `has`, lambdas) and still
//! be refused with 501 by the query translator.

use std::fmt;

/// Why a piece of URL did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// A sentence naming what was expected.
    pub message: String,
    /// The byte offset in the parsed text where it went wrong.
    pub position: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

impl std::error::Error for SyntaxError {}

/// A primitive literal as written in a URL.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true`, `false` (any case).
    Boolean(bool),
    /// A whole number without point or exponent that fits an `i64`.
    Integer(i64),
    /// A number with a point (`1.50`) or too large for an `i64`, as written.
    Decimal(String),
    /// A number with an exponent, `INF`, `-INF` or `NaN`.
    Double(f64),
    /// `'text'`, with `''` unescaped to `'`.
    String(String),
    /// `2026-11-21`.
    Date(String),
    /// `2026-11-21T08:30:00Z`, `2026-11-21T08:30:00.5+01:00`, as written.
    DateTimeOffset(String),
    /// `08:30:00`, `08:30`.
    TimeOfDay(String),
    /// `duration'P1DT2H'` or the 4.01 bare form, the ISO 8601 text without quotes.
    Duration(String),
    /// `01234567-89ab-cdef-0123-456789abcdef`.
    Guid(String),
    /// `Namespace.Type'Member'` (members may be a comma-separated flag list).
    Enum {
        /// The qualified type name, `Microsoft.Dynamics.DataEntities.NoYes`.
        type_name: String,
        /// The member names or values as written inside the quotes.
        value: String,
    },
    /// `binary'…'` (base64url), decoded.
    Binary(Vec<u8>),
}

/// A `$filter`/`$orderby` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// A property path: `Name`, or `Navigation/Name` (segments in order).
    Property(Vec<String>),
    /// `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Negate(Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `e in (a, b, …)`.
    In(Box<Expr>, Vec<Expr>),
    /// A function call; the name is lowercased (`contains`, `year`, …).
    Call(String, Vec<Expr>),
    /// `path/any(x: …)`, `path/all(x: …)`; only parsed, never served.
    Lambda {
        /// The collection path.
        path: Vec<String>,
        /// `any` or `all`.
        kind: String,
    },
}

/// Binary operators, by precedence class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `has`
    Has,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `divby` (4.01 decimal division)
    DivBy,
    /// `mod`
    Mod,
}

/// One `$orderby` item.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// What to sort by.
    pub expr: Expr,
    /// `desc`.
    pub descending: bool,
}

/// One `$select` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `*`
    All,
    /// A property path, segments in order.
    Path(Vec<String>),
}

/// One `$expand` item: a navigation property and its own options.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    /// The navigation path, segments in order (`*` for all).
    pub path: Vec<String>,
    /// Options in parentheses after it.
    pub options: QueryOptions,
}

/// A key predicate: `('x')` or `(a=1,b='x')`.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A single unnamed value.
    Single(Literal),
    /// Named values, in the order written.
    Named(Vec<(String, Literal)>),
}

/// One segment of a resource path after `/data/`.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An identifier, possibly qualified (`CustomersV3`, `Microsoft.Dynamics.DataEntities.approve`).
    Name(String),
    /// A key predicate following the previous segment.
    Key(Key),
    /// `$count`
    Count,
    /// `$value`
    Value,
    /// `$ref`
    Ref,
    /// `$metadata`
    Metadata,
    /// `$batch`
    Batch,
}

/// The system query options of one request (or of one `$expand` item).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    /// `$filter`
    pub filter: Option<Expr>,
    /// `$orderby`
    pub orderby: Vec<OrderItem>,
    /// `$select`; empty means every property.
    pub select: Vec<SelectItem>,
    /// `$expand`
    pub expand: Vec<ExpandItem>,
    /// `$top`
    pub top: Option<u64>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$count=true`
    pub count: bool,
    /// `$skiptoken`, opaque.
    pub skiptoken: Option<String>,
    /// `$format` as written.
    pub format: Option<String>,
    /// System options that parse but Wharf does not serve (`$search`, `$apply`, `$compute`,
    /// `$levels`, `$index`, `$schemaversion`, `$deltatoken`, `$id`), by name: they answer 501.
    pub unsupported: Vec<String>,
    /// Custom query options (no `$`), names as written with decoded values, e.g.
    /// `cross-company=true`.
    pub custom: Vec<(String, String)>,
}
