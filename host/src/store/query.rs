//! Queries over one entity table: a condition, an order and a page, as the OData service asks
//! them. Callers describe the query with [`Condition`] and [`Term`] trees naming fields by their
//! index in the entity; this module alone turns them into SQL. Every value is a bound
//! parameter and every identifier comes from the entity definition, so no text a client sends
//! ever becomes SQL.
//!
//! Comparisons on a field are written against the bare column, so SQLite can answer them from
//! the key index or a declared secondary index. The exception is decimals: they are stored as
//! their exact text (see `schema`), so they compare as `REAL` numbers, which no index serves
//! and which is exact to about 15 significant digits.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use rusqlite::ToSql;
use wharf_plugin_sdk::Value;

use super::sqlite::Sqlite;
use super::schema::{self, VERSION_COLUMN, quote};
use super::values::{Parameter, stored_value};
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

/// SQL text with its parameters, built up piece by piece.
struct Sql<'e> {
    entity: &'e Entity,
    text: String,
    parameters: Vec<Value>,
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
    fn new(entity: &'e Entity) -> Sql<'e> {
        Sql { entity, text: String::new(), parameters: Vec::new(), depth: 0 }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn bind(&mut self, value: Value) {
        self.parameters.push(value);
        // Writing to a String cannot fail.
        let _ = write!(self.text, "?{}", self.parameters.len());
    }

    fn field_type(&self, index: usize) -> Option<&'e FieldType> {
        self.entity.fields.get(index).map(|field| &field.field_type)
    }

    /// Whether a term is a decimal or floating-point number, which compare as `REAL`.
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

    fn term(&mut self, term: &Term) -> Result<()> {
        self.term_as(term, false)
    }

    /// Writes a term; `real` casts it to `REAL` for a numeric comparison with a decimal.
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
            self.push("CAST(");
            self.term_as(term, false)?;
            self.push(" AS REAL)");
            return Ok(());
        }
        match term {
            Term::Field(index) => {
                let field = self.entity.fields.get(*index).context("no such field")?;
                self.push(&quote(&field.name));
            }
            Term::Value(value) => self.bind(value.clone()),
            Term::Negate(inner) => {
                self.push("(-");
                self.term_as(inner, self.is_real(inner))?;
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
                self.push("(");
                self.term_as(left, real)?;
                self.push(symbol);
                self.term_as(right, real)?;
                self.push(")");
            }
            Term::Call(function, arguments) => self.call(*function, arguments)?,
        }
        Ok(())
    }

    fn call(&mut self, function: Function, arguments: &[Term]) -> Result<()> {
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
                self.push(name);
                self.term(argument(0)?)?;
                self.push(")");
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
                self.push(&part(format));
                self.term(argument(0)?)?;
                self.push(") AS INTEGER)");
            }
            Function::Second => {
                self.push(&part("%S"));
                self.term(argument(0)?)?;
                self.push(") AS INTEGER)");
            }
            Function::FractionalSeconds => {
                // `%f` is seconds with milliseconds (`SS.SSS`).
                self.push("(CAST(strftime('%f', ");
                self.term(argument(0)?)?;
                self.push(") AS REAL) - ");
                self.push(&part("%S"));
                self.term(argument(0)?)?;
                self.push(") AS INTEGER))");
            }
            Function::Time => {
                self.push("strftime('%H:%M:%S', ");
                self.term(argument(0)?)?;
                self.push(")");
            }
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

    fn condition(&mut self, condition: &Condition) -> Result<()> {
        match condition {
            Condition::True => self.push("1"),
            Condition::Compare(comparison, left, right) => self.compare(*comparison, left, right)?,
            Condition::Matches(term, pattern) => {
                self.term(term)?;
                self.push(" LIKE ");
                self.bind(Value::String(like_pattern(pattern)));
                self.push(" ESCAPE '\\'");
            }
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
                        self.term(text)?;
                        self.push(" LIKE ");
                        self.bind(Value::String(pattern));
                        self.push(" ESCAPE '\\'");
                    }
                    _ => match condition {
                        Condition::Contains(..) => {
                            self.push("instr(");
                            self.term(text)?;
                            self.push(", ");
                            self.term(part)?;
                            self.push(") > 0");
                        }
                        Condition::StartsWith(..) => {
                            self.push("substr(");
                            self.term(text)?;
                            self.push(", 1, length(");
                            self.term(part)?;
                            self.push(")) = ");
                            self.term(part)?;
                        }
                        _ => {
                            self.push("substr(");
                            self.term(text)?;
                            self.push(", -length(");
                            self.term(part)?;
                            self.push(")) = ");
                            self.term(part)?;
                        }
                    },
                }
            }
            Condition::IsTrue(term) => {
                self.term(term)?;
                self.push(" = 1");
            }
            Condition::In(term, values) => {
                self.term(term)?;
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
                self.push(", 0)");
            }
        }
        Ok(())
    }

    /// `operands` joined by `operator`, parenthesised as a balanced tree. A chain of 999 `or`s
    /// (D365 clients write them, having no `in`) is 999 levels deep as parsed, past SQLite's
    /// expression depth limit of 1000; balanced it is 10.
    fn balanced(&mut self, operands: &[Condition], operator: &str) -> Result<()> {
        match operands {
            [] if operator == " OR " => self.push("0"),
            [] => self.push("1"),
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
            self.push(match comparison {
                Comparison::Eq => " IS NULL",
                Comparison::Ne => " IS NOT NULL",
                // Ordering against null holds for no row.
                _ => " IS NULL AND 0",
            });
            return Ok(());
        }
        let real = self.is_real(left) || self.is_real(right);
        self.term_as(left, real)?;
        self.push(match comparison {
            Comparison::Eq => " = ",
            // Rows without a value differ from every value.
            Comparison::Ne => " IS NOT ",
            Comparison::Gt => " > ",
            Comparison::Ge => " >= ",
            Comparison::Lt => " < ",
            Comparison::Le => " <= ",
        });
        self.term_as(right, real)
    }

    /// `ORDER BY` for `sort`.
    fn order_by(&mut self, sort: &[Order]) -> Result<()> {
        self.push(" ORDER BY ");
        for (position, order) in sort.iter().enumerate() {
            if position > 0 {
                self.push(", ");
            }
            let term = Term::Field(order.field);
            let real = self.is_real(&term);
            self.term_as(&term, real)?;
            self.push(if order.descending { " DESC" } else { " ASC" });
        }
        Ok(())
    }

    /// The condition "comes after `values` in `sort`", in SQLite's order (nulls first when
    /// ascending, last when descending).
    fn after(&mut self, sort: &[Order], values: &[Value]) -> Result<()> {
        self.push("(");
        for position in 0..sort.len() {
            if position > 0 {
                self.push(" OR ");
            }
            self.push("(");
            for (order, value) in sort.iter().zip(values).take(position) {
                self.term(&Term::Field(order.field))?;
                self.push(" IS ");
                self.bind(value.clone());
                self.push(" AND ");
            }
            let (Some(order), Some(value)) = (sort.get(position), values.get(position)) else {
                anyhow::bail!("the page token does not match the order");
            };
            let field = Term::Field(order.field);
            let real = self.is_real(&field);
            match (value, order.descending) {
                (Value::Null, false) => {
                    self.term(&field)?;
                    self.push(" IS NOT NULL");
                }
                (Value::Null, true) => self.push("0"),
                (value, descending) => {
                    self.push("(");
                    self.term_as(&field, real)?;
                    self.push(if descending { " < " } else { " > " });
                    self.term_as(&Term::Value(value.clone()), real)?;
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
        let sort = query.sort(entity);
        let mut sql = Sql::new(entity);
        sql.push(&format!(
            "SELECT {}, {} FROM {} WHERE ",
            schema::column_list(entity),
            quote(VERSION_COLUMN),
            schema::table(entity)
        ));
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
        let mut sql = Sql::new(entity);
        sql.push(&format!("SELECT count(*) FROM {} WHERE ", schema::table(entity)));
        sql.condition(condition)?;
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
        let sort = query.sort(entity);
        let mut sql = Sql::new(entity);
        sql.push(&format!("EXPLAIN QUERY PLAN SELECT * FROM {} WHERE ", schema::table(entity)));
        sql.condition(&query.condition)?;
        sql.order_by(&sort)?;
        self.with_connection(|connection| {
            let mut statement = connection.prepare(&sql.text)?;
            let bound: Vec<Parameter<'_>> = sql.parameters.iter().map(|value| Parameter(value.as_ref())).collect();
            let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
            let steps = statement.query_map(parameters.as_slice(), |row| row.get::<_, String>(3))?;
            Ok(steps.collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }
}
