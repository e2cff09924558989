//! Queries over one entity table: a condition, an order and a page, as the OData service asks
//! them. Callers describe the query with [`Condition`] and [`Term`] trees naming fields by their
//! index in the entity; this module alone turns them into SQL. Every value is a bound
//! parameter and every identifier comes from the entity definition, so no text a client sends
//! ever becomes SQL.
//!
//! One renderer ([`Sql`]) writes both engines' SQL; a [`Dialect`] says what differs between
//! them (parameters, casts, function names, boolean literals, null ordering), so both give
//! the same rows in the same order. The query's semantics are SQLite's, and PostgreSQL is
//! made to follow them: ASCII-only case folding, nulls first in ascending order, null for a
//! division by zero.
//!
//! Comparisons on a field are written against the bare column, so the database can answer
//! them from the key index or a declared secondary index. The exception is decimals on
//! SQLite: they are stored as their exact text (see `schema`), so they compare as `REAL`
//! numbers, which no index serves and which is exact to about 15 significant digits. On
//! PostgreSQL decimals are `numeric` and compare exactly, from an index.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use rusqlite::ToSql;
use wharf_plugin_sdk::Value;

use super::schema::{self, VERSION_COLUMN, quote};
use super::sqlite::Sqlite;
use super::values::{DECIMAL_COLLATION, Parameter, stored_value};
use crate::entity::{Entity, FieldType};

/// A value-producing expression over one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// The field at this index of the entity's fields.
    Field(usize),
    /// A constant, bound as a parameter.
    Value(Value),
    /// A function of other terms.
    Call(Function, Vec<Term>),
    /// An arithmetic operation.
    Arithmetic(Arithmetic, Box<Term>, Box<Term>),
    /// `-term`.
    Negate(Box<Term>),
}

/// The functions a [`Term`] may call, named as OData names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// Lowercase text.
    ToLower,
    /// Uppercase text.
    ToUpper,
    /// Characters in the text.
    Length,
    /// Zero-based position of the second text in the first, -1 when absent.
    IndexOf,
    /// `substring(text, start)` or `substring(text, start, length)`, zero-based.
    Substring,
    /// Text without leading and trailing spaces.
    Trim,
    /// Two texts joined.
    Concat,
    /// The year of a date or date-time.
    Year,
    /// The month (1-12).
    Month,
    /// The day of the month.
    Day,
    /// The hour of a date-time.
    Hour,
    /// The minute of a date-time.
    Minute,
    /// The second of a date-time.
    Second,
    /// The fraction of the second of a date-time.
    FractionalSeconds,
    /// The date part of a date-time, `YYYY-MM-DD`.
    Date,
    /// The time part of a date-time, `hh:mm:ss`.
    Time,
    /// The nearest whole number.
    Round,
    /// The largest whole number not above.
    Floor,
    /// The smallest whole number not below.
    Ceiling,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`: whole-number division between whole numbers.
    Div,
    /// `/` as a decimal division whatever the operands.
    DivBy,
    /// The remainder.
    Mod,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Equal; equal to null means "has no value".
    Eq,
    /// Not equal; rows without a value are not equal to any value.
    Ne,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A condition a row meets or not.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every row.
    True,
    /// Two terms compared.
    Compare(Comparison, Term, Term),
    /// The text term matches a pattern in which `*` stands for any run of characters; letters
    /// match without regard to ASCII case (SQL `LIKE`), as D365's wildcard filters do.
    Matches(Term, String),
    /// The first text contains the second.
    Contains(Term, Term),
    /// The first text starts with the second.
    StartsWith(Term, Term),
    /// The first text ends with the second.
    EndsWith(Term, Term),
    /// A boolean term is true.
    IsTrue(Term),
    /// The term equals one of the values.
    In(Term, Vec<Value>),
    /// All hold. A chain is one node, however long: D365 clients chain hundreds of `or`s
    /// (having no `in`), and a tree one level per operator would be as deep as the chain is
    /// long for everything that walks it.
    And(Vec<Condition>),
    /// At least one holds; a chain is one node, as for [`Condition::And`].
    Or(Vec<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
}

impl Condition {
    /// `self AND other`, leaving out `True` and joining chains.
    pub fn and(self, other: Condition) -> Condition {
        match (self, other) {
            (Condition::True, other) | (other, Condition::True) => other,
            (Condition::And(mut all), Condition::And(more)) => {
                all.extend(more);
                Condition::And(all)
            }
            (Condition::And(mut all), other) => {
                all.push(other);
                Condition::And(all)
            }
            (left, right) => Condition::And(vec![left, right]),
        }
    }
}

/// One sort field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The field's index.
    pub field: usize,
    /// Largest first.
    pub descending: bool,
}

/// A page of rows: those meeting `condition`, in `order` then key order, after `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Which rows.
    pub condition: Condition,
    /// The requested order; the key fields not in it follow, ascending, so pages are stable.
    pub order: Vec<Order>,
    /// Start after the row with these sort values (one per field of [`Query::sort`], as
    /// [`QueryRow::sort_values`] gives them): keyset paging, as cheap on page 1,000 as on page 1.
    pub after: Option<Vec<Value>>,
    /// Rows to pass over first (`$skip`).
    pub offset: u64,
    /// The most rows to return.
    pub limit: u64,
}

impl Query {
    /// The full sort: the requested order, then every key field not in it.
    pub fn sort(&self, entity: &Entity) -> Vec<Order> {
        let mut sort = self.order.clone();
        for &field in &entity.key {
            if !sort.iter().any(|order| order.field == field) {
                sort.push(Order { field, descending: false });
            }
        }
        sort
    }
}

/// A row as a query returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRow {
    /// Every field's value, in the entity's field order.
    pub values: Vec<Value>,
    /// The version of the write that last changed the row (its ETag).
    pub version: u64,
}

impl QueryRow {
    /// The values a next page starts after, for [`Query::after`].
    pub fn sort_values(&self, sort: &[Order]) -> Vec<Value> {
        sort.iter().map(|order| self.values.get(order.field).cloned().unwrap_or(Value::Null)).collect()
    }
}

/// The SQL dialect a query is written in: what differs between the engines. The query
/// language, its null rules and its order are the same on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// SQLite: `?N` parameters, decimals stored as text and compared as `REAL`, booleans as
    /// 0 and 1.
    Sqlite,
    /// PostgreSQL: `$N` parameters, typed by their values when bound (`postgres/query.rs`);
    /// decimals are `numeric`, compared exactly; booleans are `boolean`.
    Postgres,
}

/// ASCII letters only, as `translate`'s arguments: PostgreSQL's `lower`/`upper` follow the
/// database's locale, SQLite's and `LIKE`'s case rules only ASCII, and both engines must
/// agree whatever the locale.
const UPPERCASE: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'";
const LOWERCASE: &str = "'abcdefghijklmnopqrstuvwxyz'";

/// SQL text with its parameters, built up piece by piece.
pub(super) struct Sql<'e> {
    entity: &'e Entity,
    dialect: Dialect,
    /// The statement.
    pub(super) text: String,
    /// Its parameters, in order: `?1`/`$1` is the first. (On PostgreSQL a null is written as
    /// `NULL` rather than bound, so that it takes the type of what it meets.)
    pub(super) parameters: Vec<Value>,
    /// How many terms deep the term being written is.
    depth: usize,
}

/// How deep terms (arithmetic, function calls) may nest in a query. SQLite refuses
/// expressions deeper than 1000 levels, and a term can take two SQL levels (a cast and its
/// operation); a query this deep is an attack or a bug.
pub const MAX_TERM_DEPTH: usize = 200;

/// A query's terms nest deeper than [`MAX_TERM_DEPTH`]: the request's fault, not the store's.
#[derive(Debug, thiserror::Error)]
#[error("the expression nests its values more than {MAX_TERM_DEPTH} levels deep")]
pub struct TooDeep;

impl<'e> Sql<'e> {
    fn new(entity: &'e Entity, dialect: Dialect) -> Sql<'e> {
        Sql { entity, dialect, text: String::new(), parameters: Vec::new(), depth: 0 }
    }

    /// `{head} WHERE … ORDER BY … LIMIT … OFFSET …`: the page of rows `query` selects, where
    /// `head` is the `SELECT … FROM …` of the engine's columns.
    pub(super) fn page(entity: &'e Entity, dialect: Dialect, head: &str, query: &Query) -> Result<Sql<'e>> {
        let sort = query.sort(entity);
        let mut sql = Sql::new(entity, dialect);
        sql.push(head);
        sql.push(" WHERE ");
        sql.condition(&query.condition)?;
        if let Some(after) = &query.after {
            sql.push(" AND ");
            sql.after(&sort, after)?;
        }
        sql.order_by(&sort)?;
        sql.push(" LIMIT ");
        sql.bind(Value::Integer(i64::try_from(query.limit).unwrap_or(i64::MAX)));
        sql.push(" OFFSET ");
        sql.bind(Value::Integer(i64::try_from(query.offset).unwrap_or(i64::MAX)));
        Ok(sql)
    }

    /// `{head} WHERE …` for `condition`, then `ORDER BY` for `sort` when given.
    pub(super) fn filtered(
        entity: &'e Entity,
        dialect: Dialect,
        head: &str,
        condition: &Condition,
        sort: Option<&[Order]>,
    ) -> Result<Sql<'e>> {
        let mut sql = Sql::new(entity, dialect);
        sql.push(head);
        sql.push(" WHERE ");
        sql.condition(condition)?;
        if let Some(sort) = sort {
            sql.order_by(sort)?;
        }
        Ok(sql)
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Writes `text` in the dialect at hand.
    fn push_either(&mut self, sqlite: &str, postgres: &str) {
        self.push(match self.dialect {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        });
    }

    fn bind(&mut self, value: Value) {
        if self.dialect == Dialect::Postgres && value == Value::Null {
            self.push("NULL");
            return;
        }
        self.parameters.push(value);
        let sigil = match self.dialect {
            Dialect::Sqlite => '?',
            Dialect::Postgres => '$',
        };
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{sigil}{}", self.parameters.len());
    }

    fn field_type(&self, index: usize) -> Option<&'e FieldType> {
        self.entity.fields.get(index).map(|field| &field.field_type)
    }

    /// Whether a field never holds null: key fields, which every row has.
    fn never_null(&self, index: usize) -> bool {
        self.entity.key.contains(&index) && self.entity.fields.get(index).is_some_and(|field| field.required)
    }

    /// Whether a term is a decimal or floating-point number, which compare as numbers with a
    /// fraction: `REAL` on SQLite, `numeric` on PostgreSQL.
    fn is_real(&self, term: &Term) -> bool {
        match term {
            Term::Field(index) => matches!(self.field_type(*index), Some(FieldType::Decimal { .. })),
            Term::Value(value) => matches!(value, Value::Decimal(_) | Value::Float(_)),
            Term::Arithmetic(Arithmetic::DivBy, _, _) => true,
            Term::Arithmetic(_, left, right) => self.is_real(left) || self.is_real(right),
            Term::Negate(inner) => self.is_real(inner),
            Term::Call(function, arguments) => {
                matches!(function, Function::FractionalSeconds)
                    || (matches!(function, Function::Round | Function::Floor | Function::Ceiling)
                        && arguments.first().is_some_and(|argument| self.is_real(argument)))
            }
        }
    }

    /// Whether a term is a decimal field or value: `numeric` already on PostgreSQL.
    fn is_decimal(&self, term: &Term) -> bool {
        match term {
            Term::Field(index) => matches!(self.field_type(*index), Some(FieldType::Decimal { .. })),
            Term::Value(value) => matches!(value, Value::Decimal(_)),
            _ => false,
        }
    }

    fn term(&mut self, term: &Term) -> Result<()> {
        self.term_as(term, false)
    }

    /// Writes a term; `real` makes it a number with a fraction for a numeric comparison with
    /// a decimal: `REAL` on SQLite, `numeric` on PostgreSQL (exact, and a decimal column stays
    /// bare so its index serves the comparison).
    fn term_as(&mut self, term: &Term, real: bool) -> Result<()> {
        if self.depth >= MAX_TERM_DEPTH {
            return Err(TooDeep.into());
        }
        self.depth += 1;
        let written = self.term_at_depth(term, real);
        self.depth -= 1;
        written
    }

    fn term_at_depth(&mut self, term: &Term, real: bool) -> Result<()> {
        if real {
            match self.dialect {
                Dialect::Sqlite => {
                    self.push("CAST(");
                    self.term_as(term, false)?;
                    self.push(" AS REAL)");
                    return Ok(());
                }
                Dialect::Postgres if !self.is_decimal(term) => {
                    self.push("(");
                    self.term_as(term, false)?;
                    self.push(")::numeric");
                    return Ok(());
                }
                Dialect::Postgres => {}
            }
        }
        match term {
            Term::Field(index) => {
                let field = self.entity.fields.get(*index).context("no such field")?;
                self.push(&quote(&field.name));
            }
            Term::Value(value) => self.bind(value.clone()),
            Term::Negate(inner) => {
                self.push("(-");
                self.operand(inner, self.is_real(inner))?;
                self.push(")");
            }
            Term::Arithmetic(operator, left, right) => {
                let real = self.is_real(term);
                let symbol = match operator {
                    Arithmetic::Add => " + ",
                    Arithmetic::Sub => " - ",
                    Arithmetic::Mul => " * ",
                    Arithmetic::Div | Arithmetic::DivBy => " / ",
                    Arithmetic::Mod => " % ",
                };
                // SQLite's division by zero is null; PostgreSQL's fails the statement, so its
                // divisor zero becomes null first.
                let divides = matches!(operator, Arithmetic::Div | Arithmetic::DivBy | Arithmetic::Mod);
                let guarded = divides && self.dialect == Dialect::Postgres;
                self.push("(");
                self.operand(left, real)?;
                self.push(symbol);
                if guarded {
                    self.push("NULLIF(");
                }
                self.operand(right, real)?;
                if guarded {
                    self.push(", 0)");
                }
                self.push(")");
            }
            Term::Call(function, arguments) => self.call(*function, arguments)?,
        }
        Ok(())
    }

    /// An operand of arithmetic. PostgreSQL cannot tell which `-` or `+` an untyped `NULL`
    /// means, so there a null is a null number.
    fn operand(&mut self, term: &Term, real: bool) -> Result<()> {
        if self.dialect == Dialect::Postgres && !real && *term == Term::Value(Value::Null) {
            self.push("NULL::bigint");
            return Ok(());
        }
        self.term_as(term, real)
    }

    /// `name(argument)`.
    fn call_one(&mut self, name: &str, argument: &Term, close: &str) -> Result<()> {
        self.push(name);
        self.term(argument)?;
        self.push(close);
        Ok(())
    }

    fn call(&mut self, function: Function, arguments: &[Term]) -> Result<()> {
        let argument = |index: usize| arguments.get(index).context("a function is missing an argument");
        match self.dialect {
            Dialect::Sqlite => self.call_sqlite(function, arguments),
            Dialect::Postgres => match function {
                Function::ToLower | Function::ToUpper => {
                    let (from, to) =
                        if function == Function::ToLower { (UPPERCASE, LOWERCASE) } else { (LOWERCASE, UPPERCASE) };
                    self.call_one("translate(", argument(0)?, &format!(", {from}, {to})"))
                }
                Function::Length => self.call_one("char_length(", argument(0)?, ")"),
                // Spaces only, as SQLite's `trim`.
                Function::Trim => self.call_one("btrim(", argument(0)?, ", ' ')"),
                Function::IndexOf => {
                    self.push("(strpos(");
                    self.term(argument(0)?)?;
                    self.push(", ");
                    self.term(argument(1)?)?;
                    self.push(") - 1)");
                    Ok(())
                }
                Function::Substring => {
                    self.push("substr(");
                    self.term(argument(0)?)?;
                    self.push(", ((");
                    self.term(argument(1)?)?;
                    self.push(") + 1)::integer");
                    if let Some(length) = arguments.get(2) {
                        self.push(", (");
                        self.term(length)?;
                        self.push(")::integer");
                    }
                    self.push(")");
                    Ok(())
                }
                Function::Concat => {
                    self.push("(");
                    self.term(argument(0)?)?;
                    self.push(" || ");
                    self.term(argument(1)?)?;
                    self.push(")");
                    Ok(())
                }
                // Dates and date-times are ISO 8601 text in UTC; `timestamp` reads both (a
                // date as its midnight) and ignores the `Z`.
                Function::Year | Function::Month | Function::Day | Function::Hour | Function::Minute => {
                    let part = match function {
                        Function::Year => "year",
                        Function::Month => "month",
                        Function::Day => "day",
                        Function::Hour => "hour",
                        _ => "minute",
                    };
                    self.call_one(&format!("extract({part} FROM ("), argument(0)?, ")::timestamp)::bigint")
                }
                Function::Second => {
                    self.call_one("floor(extract(second FROM (", argument(0)?, ")::timestamp))::bigint")
                }
                // Milliseconds, as SQLite's date functions keep them.
                Function::FractionalSeconds => {
                    self.call_one("round(mod(extract(second FROM (", argument(0)?, ")::timestamp), 1), 3)")
                }
                Function::Date => self.call_one("to_char((", argument(0)?, ")::timestamp, 'YYYY-MM-DD')"),
                Function::Time => self.call_one("to_char((", argument(0)?, ")::timestamp, 'HH24:MI:SS')"),
                Function::Round | Function::Floor | Function::Ceiling => {
                    self.push(match function {
                        Function::Round => "round(",
                        Function::Floor => "floor(",
                        _ => "ceil(",
                    });
                    self.term_as(argument(0)?, true)?;
                    self.push(")");
                    Ok(())
                }
            },
        }
    }

    fn call_sqlite(&mut self, function: Function, arguments: &[Term]) -> Result<()> {
        let argument = |index: usize| arguments.get(index).context("a function is missing an argument");
        // SQLite's date functions read ISO 8601 text, which is how dates are stored.
        let part = |format: &str| format!("CAST(strftime('{format}', ");
        match function {
            Function::ToLower | Function::ToUpper | Function::Length | Function::Trim | Function::Date => {
                let name = match function {
                    Function::ToLower => "lower(",
                    Function::ToUpper => "upper(",
                    Function::Length => "length(",
                    Function::Trim => "trim(",
                    _ => "date(",
                };
                self.call_one(name, argument(0)?, ")")?;
            }
            Function::IndexOf => {
                self.push("(instr(");
                self.term(argument(0)?)?;
                self.push(", ");
                self.term(argument(1)?)?;
                self.push(") - 1)");
            }
            Function::Substring => {
                self.push("substr(");
                self.term(argument(0)?)?;
                self.push(", (");
                self.term(argument(1)?)?;
                self.push(") + 1");
                if let Some(length) = arguments.get(2) {
                    self.push(", ");
                    self.term(length)?;
                }
                self.push(")");
            }
            Function::Concat => {
                self.push("(");
                self.term(argument(0)?)?;
                self.push(" || ");
                self.term(argument(1)?)?;
                self.push(")");
            }
            Function::Year | Function::Month | Function::Day | Function::Hour | Function::Minute => {
                let format = match function {
                    Function::Year => "%Y",
                    Function::Month => "%m",
                    Function::Day => "%d",
                    Function::Hour => "%H",
                    _ => "%M",
                };
                self.call_one(&part(format), argument(0)?, ") AS INTEGER)")?;
            }
            Function::Second => self.call_one(&part("%S"), argument(0)?, ") AS INTEGER)")?,
            Function::FractionalSeconds => {
                // `%f` is seconds with milliseconds (`SS.SSS`).
                self.push("(CAST(strftime('%f', ");
                self.term(argument(0)?)?;
                self.push(") AS REAL) - ");
                self.push(&part("%S"));
                self.term(argument(0)?)?;
                self.push(") AS INTEGER))");
            }
            Function::Time => self.call_one("strftime('%H:%M:%S', ", argument(0)?, ")")?,
            Function::Round => {
                self.push("round(");
                self.term_as(argument(0)?, true)?;
                self.push(")");
            }
            Function::Floor | Function::Ceiling => {
                // Without SQLite's optional math functions: the whole part, moved by one
                // when the cast went the wrong way.
                let (comparison, step) = if function == Function::Floor { (" < ", " - 1") } else { (" > ", " + 1") };
                let value = argument(0)?;
                self.push("(CASE WHEN ");
                self.term_as(value, true)?;
                self.push(comparison);
                self.push("CAST(");
                self.term_as(value, true)?;
                self.push(" AS INTEGER) THEN CAST(");
                self.term_as(value, true)?;
                self.push(" AS INTEGER)");
                self.push(step);
                self.push(" ELSE CAST(");
                self.term_as(value, true)?;
                self.push(" AS INTEGER) END)");
            }
        }
        Ok(())
    }

    /// `text LIKE pattern`, letters compared without regard to ASCII case as SQLite's `LIKE`
    /// compares them; on PostgreSQL both sides are lowercased (ASCII only) and `LIKE` compares
    /// exactly, whatever the database's locale.
    fn like(&mut self, text: &Term, pattern: String) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => {
                self.term(text)?;
                self.push(" LIKE ");
                self.bind(Value::String(pattern));
                self.push(" ESCAPE '\\'");
            }
            Dialect::Postgres => {
                self.call_one("translate(", text, &format!(", {UPPERCASE}, {LOWERCASE})"))?;
                self.push(" LIKE ");
                self.bind(Value::String(pattern.to_ascii_lowercase()));
                self.push(" ESCAPE E'\\\\'");
            }
        }
        Ok(())
    }

    fn condition(&mut self, condition: &Condition) -> Result<()> {
        match condition {
            Condition::True => self.push_either("1", "true"),
            Condition::Compare(comparison, left, right) => self.compare(*comparison, left, right)?,
            Condition::Matches(term, pattern) => self.like(term, like_pattern(pattern))?,
            Condition::Contains(text, part) | Condition::StartsWith(text, part) | Condition::EndsWith(text, part) => {
                // A literal becomes a LIKE pattern (case-insensitive, as D365 compares);
                // a computed part is searched for exactly.
                match part {
                    Term::Value(Value::String(literal)) => {
                        let escaped = escape_like(literal);
                        let pattern = match condition {
                            Condition::Contains(..) => format!("%{escaped}%"),
                            Condition::StartsWith(..) => format!("{escaped}%"),
                            _ => format!("%{escaped}"),
                        };
                        self.like(text, pattern)?;
                    }
                    _ => match condition {
                        Condition::Contains(..) => {
                            self.push_either("instr(", "strpos(");
                            self.term(text)?;
                            self.push(", ");
                            self.term(part)?;
                            self.push(") > 0");
                        }
                        Condition::StartsWith(..) => {
                            self.push_either("substr(", "left(");
                            self.term(text)?;
                            self.push_either(", 1, length(", ", char_length(");
                            self.term(part)?;
                            self.push(")) = ");
                            self.term(part)?;
                        }
                        _ => {
                            self.push_either("substr(", "right(");
                            self.term(text)?;
                            self.push_either(", -length(", ", char_length(");
                            self.term(part)?;
                            self.push(")) = ");
                            self.term(part)?;
                        }
                    },
                }
            }
            Condition::IsTrue(term) => {
                self.term(term)?;
                self.push_either(" = 1", " = true");
            }
            // `IN ()` is no PostgreSQL; it holds for no row.
            Condition::In(_, values) if values.is_empty() && self.dialect == Dialect::Postgres => self.push("false"),
            Condition::In(term, values) => {
                self.term(term)?;
                self.collate_decimal(self.exact_decimals(&[term]));
                self.push(" IN (");
                for (position, value) in values.iter().enumerate() {
                    if position > 0 {
                        self.push(", ");
                    }
                    self.bind(value.clone());
                }
                self.push(")");
            }
            Condition::And(operands) => self.balanced(operands, " AND ")?,
            Condition::Or(operands) => self.balanced(operands, " OR ")?,
            Condition::Not(inner) => {
                // A comparison with a missing value is unknown in SQL; OData's `not` of it is
                // true, so unknown counts as false before negating.
                self.push("NOT coalesce(");
                self.condition(inner)?;
                self.push_either(", 0)", ", false)");
            }
        }
        Ok(())
    }

    /// `operands` joined by `operator`, parenthesised as a balanced tree. A chain of 999 `or`s
    /// (D365 clients write them, having no `in`) is 999 levels deep as parsed, past SQLite's
    /// expression depth limit of 1000; balanced it is 10.
    fn balanced(&mut self, operands: &[Condition], operator: &str) -> Result<()> {
        match operands {
            [] if operator == " OR " => self.push_either("0", "false"),
            [] => self.push_either("1", "true"),
            [one] => self.condition(one)?,
            _ => {
                let (left, right) = operands.split_at(operands.len() / 2);
                self.push("(");
                self.balanced(left, operator)?;
                self.push(operator);
                self.balanced(right, operator)?;
                self.push(")");
            }
        }
        Ok(())
    }

    fn compare(&mut self, comparison: Comparison, left: &Term, right: &Term) -> Result<()> {
        let null = |term: &Term| matches!(term, Term::Value(Value::Null));
        if null(left) || null(right) {
            let other = if null(left) { right } else { left };
            self.term(other)?;
            match comparison {
                Comparison::Eq => self.push(" IS NULL"),
                Comparison::Ne => self.push(" IS NOT NULL"),
                // Ordering against null holds for no row.
                _ => self.push_either(" IS NULL AND 0", " IS NULL AND false"),
            }
            return Ok(());
        }
        let exact = self.exact_decimals(&[left, right]);
        let real = !exact && (self.is_real(left) || self.is_real(right));
        self.term_as(left, real)?;
        match comparison {
            Comparison::Eq => self.push(" = "),
            // Rows without a value differ from every value.
            Comparison::Ne => self.push_either(" IS NOT ", " IS DISTINCT FROM "),
            Comparison::Gt => self.push(" > "),
            Comparison::Ge => self.push(" >= "),
            Comparison::Lt => self.push(" < "),
            Comparison::Le => self.push(" <= "),
        }
        self.term_as(right, real)?;
        self.collate_decimal(exact);
        Ok(())
    }

    /// Whether `terms` are decimal fields and decimal or whole-number values, at least one a
    /// decimal, on SQLite: they compare as exact decimals, their text under the
    /// [`DECIMAL_COLLATION`], not as `REAL` (about 15 digits). PostgreSQL's `numeric` is exact
    /// already.
    fn exact_decimals(&self, terms: &[&Term]) -> bool {
        let decimal_or_whole = |term: &&Term| match term {
            Term::Field(index) => matches!(self.field_type(*index), Some(FieldType::Decimal { .. })),
            Term::Value(value) => matches!(value, Value::Decimal(_) | Value::Integer(_)),
            _ => false,
        };
        self.dialect == Dialect::Sqlite
            && terms.iter().any(|term| self.is_decimal(term))
            && terms.iter().all(decimal_or_whole)
    }

    /// Ends a comparison or sort key with the decimal collation when `exact`.
    fn collate_decimal(&mut self, exact: bool) {
        if exact {
            self.push(" COLLATE ");
            self.push(DECIMAL_COLLATION);
        }
    }

    /// `ORDER BY` for `sort`, nulls first when ascending and last when descending (SQLite's
    /// order, which PostgreSQL is told; key fields have no nulls, so their index serves the
    /// order as it is).
    fn order_by(&mut self, sort: &[Order]) -> Result<()> {
        self.push(" ORDER BY ");
        for (position, order) in sort.iter().enumerate() {
            if position > 0 {
                self.push(", ");
            }
            let term = Term::Field(order.field);
            if self.dialect == Dialect::Postgres {
                // The table's column, not a select-list expression of that name (a decimal's
                // `"Amount"::text AS "Amount"` would sort as text).
                self.push(&schema::table(self.entity));
                self.push(".");
            }
            let exact = self.exact_decimals(&[&term]);
            let real = !exact && self.is_real(&term);
            self.term_as(&term, real)?;
            self.collate_decimal(exact);
            self.push(if order.descending { " DESC" } else { " ASC" });
            if self.dialect == Dialect::Postgres && !self.never_null(order.field) {
                self.push(if order.descending { " NULLS LAST" } else { " NULLS FIRST" });
            }
        }
        Ok(())
    }

    /// The condition "comes after `values` in `sort`", in the order of [`Sql::order_by`].
    fn after(&mut self, sort: &[Order], values: &[Value]) -> Result<()> {
        if sort.len() != values.len() {
            anyhow::bail!("the page token does not match the order");
        }
        if self.dialect == Dialect::Postgres && self.after_as_row(sort, values)? {
            return Ok(());
        }
        self.push("(");
        for position in 0..sort.len() {
            if position > 0 {
                self.push(" OR ");
            }
            self.push("(");
            for (order, value) in sort.iter().zip(values).take(position) {
                let field = Term::Field(order.field);
                let exact = self.exact_decimals(&[&field]);
                let real = !exact && self.is_real(&field);
                match (self.dialect, value) {
                    (Dialect::Postgres, Value::Null) => {
                        self.term(&field)?;
                        self.push(" IS NULL");
                    }
                    (dialect, value) => {
                        // Decimals equal as the numbers they are sorted by, not as text.
                        self.term_as(&field, real)?;
                        self.push(if dialect == Dialect::Sqlite { " IS " } else { " = " });
                        self.term_as(&Term::Value(value.clone()), real)?;
                        self.collate_decimal(exact);
                    }
                }
                self.push(" AND ");
            }
            let (Some(order), Some(value)) = (sort.get(position), values.get(position)) else {
                anyhow::bail!("the page token does not match the order");
            };
            let field = Term::Field(order.field);
            let exact = self.exact_decimals(&[&field]);
            let real = !exact && self.is_real(&field);
            match (value, order.descending) {
                (Value::Null, false) => {
                    self.term(&field)?;
                    self.push(" IS NOT NULL");
                }
                (Value::Null, true) => self.push_either("0", "false"),
                (value, descending) => {
                    self.push("(");
                    self.term_as(&field, real)?;
                    self.push(if descending { " < " } else { " > " });
                    self.term_as(&Term::Value(value.clone()), real)?;
                    self.collate_decimal(exact);
                    if descending {
                        self.push(" OR ");
                        self.term(&field)?;
                        self.push(" IS NULL");
                    }
                    self.push(")");
                }
            }
            self.push(")");
        }
        self.push(")");
        Ok(())
    }

    /// "After" as one row comparison, `(a, b) > ($1, $2)`, when every sort field is a key
    /// field (never null) sorted the same way: PostgreSQL reads it as one range of the key
    /// index, where the `OR` of the general form would make it filter. False when it does
    /// not apply.
    fn after_as_row(&mut self, sort: &[Order], values: &[Value]) -> Result<bool> {
        let Some(first) = sort.first() else { return Ok(false) };
        let applies = sort.iter().all(|order| order.descending == first.descending && self.never_null(order.field))
            && !values.contains(&Value::Null);
        if !applies {
            return Ok(false);
        }
        let fields: Vec<Term> = sort.iter().map(|order| Term::Field(order.field)).collect();
        self.push("(");
        for (position, field) in fields.iter().enumerate() {
            if position > 0 {
                self.push(", ");
            }
            self.term(field)?;
        }
        self.push(if first.descending { ") < (" } else { ") > (" });
        for (position, value) in values.iter().enumerate() {
            if position > 0 {
                self.push(", ");
            }
            self.bind(value.clone());
        }
        self.push(")");
        Ok(true)
    }
}

/// A D365 wildcard pattern (`*retail*`) as a `LIKE` pattern with `\` escaping.
fn like_pattern(pattern: &str) -> String {
    escape_like(pattern).replace('*', "%")
}

/// Text with `LIKE`'s special characters escaped by `\`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Sqlite {
    /// The rows of `entity` that `query` selects, with their versions.
    pub fn query(&self, entity: &Entity, query: &Query) -> Result<Vec<QueryRow>> {
        self.check_prepared(entity)?;
        let head =
            format!("SELECT {}, {} FROM {}", schema::column_list(entity), quote(VERSION_COLUMN), schema::table(entity));
        let sql = Sql::page(entity, Dialect::Sqlite, &head, query)?;
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(&sql.text)?;
            let bound: Vec<Parameter<'_>> = sql.parameters.iter().map(|value| Parameter(value.as_ref())).collect();
            let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
            let mut rows = statement.query(parameters.as_slice())?;
            let mut found = Vec::new();
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(entity.fields.len());
                for (column, field) in entity.fields.iter().enumerate() {
                    values.push(stored_value(field, row.get_ref(column)?)?.to_owned());
                }
                let version: i64 = row.get(entity.fields.len())?;
                found.push(QueryRow { values, version: super::stored_version(version)? });
            }
            Ok(found)
        })
        .with_context(|| format!("cannot query {}", entity.name))
    }

    /// The number of rows of `entity` meeting `condition`.
    pub fn query_count(&self, entity: &Entity, condition: &Condition) -> Result<u64> {
        self.check_prepared(entity)?;
        let head = format!("SELECT count(*) FROM {}", schema::table(entity));
        let sql = Sql::filtered(entity, Dialect::Sqlite, &head, condition, None)?;
        let count: i64 = self
            .with_connection(|connection| {
                let mut statement = connection.prepare_cached(&sql.text)?;
                let bound: Vec<Parameter<'_>> = sql.parameters.iter().map(|value| Parameter(value.as_ref())).collect();
                let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
                Ok(statement.query_row(parameters.as_slice(), |row| row.get(0))?)
            })
            .with_context(|| format!("cannot count the rows of {}", entity.name))?;
        u64::try_from(count).context("a negative row count")
    }

    /// SQLite's plan for `query`, one line per step, for tests that check an index serves it.
    pub fn query_plan(&self, entity: &Entity, query: &Query) -> Result<Vec<String>> {
        let head = format!("EXPLAIN QUERY PLAN SELECT * FROM {}", schema::table(entity));
        let sort = query.sort(entity);
        let sql = Sql::filtered(entity, Dialect::Sqlite, &head, &query.condition, Some(&sort))?;
        self.with_connection(|connection| {
            let mut statement = connection.prepare(&sql.text)?;
            let bound: Vec<Parameter<'_>> = sql.parameters.iter().map(|value| Parameter(value.as_ref())).collect();
            let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
            let steps = statement.query_map(parameters.as_slice(), |row| row.get::<_, String>(3))?;
            Ok(steps.collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }
}
