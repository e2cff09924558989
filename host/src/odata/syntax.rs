//! The OData v4 URL syntax Wharf reads: resource paths, key predicates, system query options
//! and the `$filter`/`$orderby` expression language with its primitive literals, parsed into
//! the types below. Pure: no store, no HTTP. Rules and names follow the OASIS ABNF
//! (`odata-abnf-construction-rules`); the parser accepts what the ABNF accepts for the parts
//! Wharf serves and says where the input went wrong otherwise.
//!
//! Parsing is separate from serving: an expression can parse (`in`, `has`, lambdas) and still
//! be refused with 501 by the query translator.
//!
//! Entry points: [`parse_path`] and [`parse_query`] take the raw, percent-encoded parts of a
//! request URL; [`parse_filter`], [`parse_orderby`], [`parse_select`], [`parse_expand`],
//! [`parse_key`] and [`parse_literal`] take text that is already decoded.
//!
//! Where the ABNF and the precedence table of OData Part 2 (§5.1.1.15) disagree, the table
//! wins, as it does in every mainstream implementation: `not a eq b` is `(not a) eq b`, and
//! `has` and `in` bind tighter than any other operator.
//!
//! Every entry point refuses input longer than [`MAX_TEXT_LEN`], and expressions nested deeper
//! than [`MAX_NESTING`] or [`MAX_DEPTH`], with a [`SyntaxError`]: hostile URLs get an answer,
//! never a stack overflow.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

mod cursor;
mod expr;
mod literal;
mod options;
mod path;
mod percent;
#[cfg(test)]
mod tests;

pub use expr::{parse_filter, parse_orderby};
pub use literal::parse_literal;
pub use options::{parse_expand, parse_query, parse_select};
pub use path::{parse_key, parse_path};

/// The longest text any entry point reads, in bytes. A URL this long is an attack or a bug;
/// refusing it up front bounds the work one request can ask of the parser.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// How deeply parentheses, function calls, unary operators, lambdas and nested `$expand`
/// options may nest. The parser recurses once per level, so this bounds its stack.
pub const MAX_NESTING: usize = 100;

/// How deep a parsed expression tree may be. A chain of `or`s builds a tree one level deeper
/// per operator without any parentheses (D365 clients write such chains because D365 has no
/// `in`); this bounds the recursion of everything that later walks the tree, `Drop` included.
pub const MAX_DEPTH: usize = 1000;

/// Why a piece of URL did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// A sentence naming what was expected.
    pub message: String,
    /// The byte offset in the parsed text where it went wrong: for [`parse_path`] and
    /// [`parse_query`] an offset in the raw, still percent-encoded text.
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
    /// `null` (any case).
    Null,
    /// `true`, `false` (any case).
    Boolean(bool),
    /// A whole number without point or exponent that fits an `i64`.
    Integer(i64),
    /// A number with a point (`1.50`) or too large for an `i64`, as written less a leading `+`.
    Decimal(String),
    /// A number with an exponent, `INF`, `-INF` or `NaN`.
    Double(f64),
    /// `'text'`, with `''` unescaped to `'`.
    String(String),
    /// `2026-11-21`.
    Date(String),
    /// `2026-11-21T08:30:00Z`, `2026-11-21T08:30:00.5+01:00`, as written. Seconds are optional
    /// (`2026-11-21T08:30Z`), the zone is not.
    DateTimeOffset(String),
    /// `08:30:00`, `08:30`.
    TimeOfDay(String),
    /// `duration'P1DT2H'`, or in [`parse_literal`] the bare `P1DT2H` of payloads: the ISO 8601
    /// text without quotes, in upper case. In an expression a quoted `'P1DT2H'` without the
    /// prefix is a [`Literal::String`]; whether it means a duration depends on what it is
    /// compared with.
    Duration(String),
    /// `01234567-89ab-cdef-0123-456789abcdef`, as written.
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
    /// A property path: `Name`, or `Navigation/Name` (segments in order). A segment may also be
    /// a qualified type name (a cast, `Model.Manager/Budget`), `$it` or `$this` (first only) or
    /// `$count` (last only); the type-name arguments of `cast` and `isof` are one-segment paths
    /// such as `Edm.String`.
    Property(Vec<String>),
    /// `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Negate(Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `e in (a, b, …)`.
    In(Box<Expr>, Vec<Expr>),
    /// A call of a built-in function; the name is lowercased (`contains`, `year`,
    /// `matchespattern`, …) and the number of arguments is checked.
    Call(String, Vec<Expr>),
    /// `path/any(x: …)`, `path/all(x: …)`; only parsed, never served.
    Lambda {
        /// The collection path.
        path: Vec<String>,
        /// `any` or `all`.
        kind: String,
        /// The lambda variable, `x`; absent only in the short form `path/any()`.
        variable: Option<String>,
        /// The condition, in which the variable appears as the first segment of paths.
        predicate: Option<Box<Expr>>,
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

impl BinaryOp {
    /// The operator as written in a URL, lowercase.
    pub fn keyword(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Has => "has",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::DivBy => "divby",
            BinaryOp::Mod => "mod",
        }
    }
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
    /// The navigation path, segments in order (`*` for all). It may end in `$ref` or `$count`.
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
    /// Names are lowercase; their values are not read.
    pub unsupported: Vec<String>,
    /// Custom query options (no `$`), names as written with decoded values, e.g.
    /// `cross-company=true`.
    pub custom: Vec<(String, String)>,
}

/// The canonical text of a literal, as [`Expr`]'s `Display` prints it: `(null)`,
/// `(bool true)`, `(int 42)`, `(dec 1.50)`, `(double 3.14e0)` (Rust's shortest `{:e}` form, or
/// `INF`, `-INF`, `NaN`), `(str 'O''Neil')` (quotes doubled again), `(date 2026-11-21)`,
/// `(datetimeoffset …)`, `(timeofday …)`, `(duration P1D)`, `(guid …)` (all three as stored),
/// `(enum Ns.Type 'Member')`, `(binary Zm9v)` (base64url without padding).
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => write!(f, "(null)"),
            Literal::Boolean(flag) => write!(f, "(bool {flag})"),
            Literal::Integer(number) => write!(f, "(int {number})"),
            Literal::Decimal(text) => write!(f, "(dec {text})"),
            Literal::Double(number) if number.is_nan() => write!(f, "(double NaN)"),
            Literal::Double(number) if number.is_infinite() => {
                write!(f, "(double {}INF)", if *number < 0.0 { "-" } else { "" })
            }
            Literal::Double(number) => write!(f, "(double {number:e})"),
            Literal::String(text) => write!(f, "(str '{}')", text.replace('\'', "''")),
            Literal::Date(text) => write!(f, "(date {text})"),
            Literal::DateTimeOffset(text) => write!(f, "(datetimeoffset {text})"),
            Literal::TimeOfDay(text) => write!(f, "(timeofday {text})"),
            Literal::Duration(text) => write!(f, "(duration {text})"),
            Literal::Guid(text) => write!(f, "(guid {text})"),
            Literal::Enum { type_name, value } => write!(f, "(enum {type_name} '{value}')"),
            Literal::Binary(bytes) => write!(f, "(binary {})", URL_SAFE_NO_PAD.encode(bytes)),
        }
    }
}

/// A canonical, fully parenthesised prefix form, one form per tree, so two parsers can be
/// compared by their output text. Every node is `(head operand …)` with single spaces:
///
/// - a literal prints as [`Literal`]'s `Display` says;
/// - `Property` is `(prop Segment …)`: `(prop Customer Name)`;
/// - `Not` is `(not e)`, `Negate` is `(neg e)`;
/// - `Binary` is `(op left right)` with the lowercase keyword: `(eq (prop Name) (str 'x'))`;
/// - `In` is `(in e (list a b …))`;
/// - `Call` is `(call name arg …)`: `(call now)`, `(call contains (prop Name) (str 'x'))`;
/// - `Lambda` is `(any (prop Items))` for the short form, else
///   `(all (prop Items) x (gt (prop x Quantity) (int 100)))`.
///
/// Parentheses in the source leave no trace: grouping shows in the tree's shape.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(literal) => write!(f, "{literal}"),
            Expr::Property(path) => write!(f, "(prop {})", path.join(" ")),
            Expr::Not(operand) => write!(f, "(not {operand})"),
            Expr::Negate(operand) => write!(f, "(neg {operand})"),
            Expr::Binary(operator, left, right) => write!(f, "({} {left} {right})", operator.keyword()),
            Expr::In(operand, list) => {
                write!(f, "(in {operand} (list")?;
                for item in list {
                    write!(f, " {item}")?;
                }
                write!(f, "))")
            }
            Expr::Call(name, arguments) => {
                write!(f, "(call {name}")?;
                for argument in arguments {
                    write!(f, " {argument}")?;
                }
                write!(f, ")")
            }
            Expr::Lambda { path, kind, variable, predicate } => {
                write!(f, "({kind} (prop {})", path.join(" "))?;
                if let Some(variable) = variable {
                    write!(f, " {variable}")?;
                }
                if let Some(predicate) = predicate {
                    write!(f, " {predicate}")?;
                }
                write!(f, ")")
            }
        }
    }
}

/// Refuses text longer than [`MAX_TEXT_LEN`]; every entry point calls it first.
fn check_length(text: &str, what: &str) -> Result<(), SyntaxError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(SyntaxError {
            message: format!("{what} is {} bytes long; at most {MAX_TEXT_LEN} are read", text.len()),
            position: MAX_TEXT_LEN,
        });
    }
    Ok(())
}
