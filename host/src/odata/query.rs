//! `$filter`, `$orderby`, `$select` and key predicates checked against an entity and turned
//! into the store's [`Condition`]s and [`Order`]s. Names resolve to fields here, literals take
//! the type of the field they meet, and what D365 does not support (or Wharf does not yet)
//! answers 501, so the store only ever sees well-typed queries.

use wharf_plugin_sdk::Value;

use super::Error;
use super::syntax::{BinaryOp, Expr, Key, Literal, OrderItem, SelectItem};
use crate::entity::convert::{ParseOptions, parse_value};
use crate::entity::{COMPANY_FIELD, Entity, Field, FieldType};
use crate::plugin::entities::Fields;
use crate::store::{Arithmetic, Comparison, Condition, Function, Order, Term};

/// What a term holds, as far as checking a query needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<'e> {
    /// A field's values (literals compared with it take its type).
    Field(&'e Field),
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// A decimal or floating-point number.
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A point in time.
    DateTime,
    /// A time of day.
    Time,
    /// A literal whose type comes from what it is compared with.
    Literal,
}

/// Checks expressions against one entity.
pub(super) struct Translator<'e> {
    entity: &'e Entity,
}

impl<'e> Translator<'e> {
    pub(super) fn new(entity: &'e Entity) -> Translator<'e> {
        Translator { entity }
    }

    /// The operands of a chain of `operator` (`a or b or c`, however grouped), in order, as
    /// conditions. The chain is walked without recursing: parsed, a chain of 999 `or`s is a
    /// tree 999 levels deep, which one stack frame per level would not survive.
    fn chain(&self, operator: BinaryOp, expr: &Expr) -> Result<Vec<Condition>, Error> {
        let (mut operands, mut pending) = (Vec::new(), vec![expr]);
        while let Some(next) = pending.pop() {
            match next {
                Expr::Binary(op, left, right) if *op == operator => {
                    pending.push(right);
                    pending.push(left);
                }
                other => operands.push(self.filter(other)?),
            }
        }
        Ok(operands)
    }

    /// `$filter` as a store condition.
    pub(super) fn filter(&self, expr: &Expr) -> Result<Condition, Error> {
        match expr {
            Expr::Binary(BinaryOp::And, ..) => Ok(Condition::And(self.chain(BinaryOp::And, expr)?)),
            Expr::Binary(BinaryOp::Or, ..) => Ok(Condition::Or(self.chain(BinaryOp::Or, expr)?)),
            Expr::Not(inner) => Ok(Condition::Not(Box::new(self.filter(inner)?))),
            Expr::Binary(
                operator @ (BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le),
                left,
                right,
            ) => self.comparison(*operator, left, right),
            Expr::Binary(BinaryOp::Has, ..) => Err(Error::not_implemented("The has operator is not supported.")),
            Expr::In(..) => Err(Error::not_implemented("The in operator is not supported.")),
            Expr::Lambda { .. } => Err(Error::not_implemented("Lambda operators (any, all) are not supported.")),
            Expr::Call(name, arguments) if matches!(name.as_str(), "contains" | "startswith" | "endswith") => {
                let [text, part] = arguments.as_slice() else {
                    return Err(Error::bad_request(format!("{name} takes two arguments.")));
                };
                let text = self.text_term(text)?;
                let part = self.text_term(part)?;
                Ok(match name.as_str() {
                    "contains" => Condition::Contains(text, part),
                    "startswith" => Condition::StartsWith(text, part),
                    _ => Condition::EndsWith(text, part),
                })
            }
            Expr::Literal(Literal::Boolean(flag)) => {
                Ok(if *flag { Condition::True } else { Condition::Not(Box::new(Condition::True)) })
            }
            other => {
                let (term, kind) = self.term(other)?;
                match kind {
                    Kind::Field(field) if field.field_type == FieldType::Boolean => Ok(Condition::IsTrue(term)),
                    _ => Err(Error::bad_request("The $filter expression is not a condition (true or false).")),
                }
            }
        }
    }

    fn comparison(&self, operator: BinaryOp, left: &Expr, right: &Expr) -> Result<Condition, Error> {
        // `startswith(Name,'A') eq true`, `true eq endswith(…)`: OData's grammar lets a
        // condition be compared with a Boolean, and client libraries write it so (LINQ's
        // `x.Name.StartsWith("A") == true`).
        if matches!(operator, BinaryOp::Eq | BinaryOp::Ne) {
            match (left, right) {
                (condition, Expr::Literal(Literal::Boolean(flag)))
                | (Expr::Literal(Literal::Boolean(flag)), condition)
                    if is_condition(condition) =>
                {
                    return self.condition_compared(condition, operator == BinaryOp::Eq, *flag);
                }
                _ => {}
            }
        }
        let (left_term, left_kind) = self.term(left)?;
        let (right_term, right_kind) = self.term(right)?;
        let comparison = match operator {
            BinaryOp::Eq => Comparison::Eq,
            BinaryOp::Ne => Comparison::Ne,
            BinaryOp::Gt => Comparison::Gt,
            BinaryOp::Ge => Comparison::Ge,
            BinaryOp::Lt => Comparison::Lt,
            _ => Comparison::Le,
        };
        // A literal takes the type of what it is compared with.
        let (left_term, right_term) = match (left, right) {
            (_, Expr::Literal(literal)) => (left_term, self.literal_for(literal, left_kind)?),
            (Expr::Literal(literal), _) => (self.literal_for(literal, right_kind)?, right_term),
            _ => (left_term, right_term),
        };
        for kind in [left_kind, right_kind] {
            if let Kind::Field(field) = kind
                && matches!(field.field_type, FieldType::Enum { .. })
                && !matches!(comparison, Comparison::Eq | Comparison::Ne)
            {
                return Err(Error::bad_request(format!(
                    "{} is an enumeration: only eq and ne compare it.",
                    field.name
                )));
            }
        }
        // D365's wildcard: `Name eq '*retail*'` matches like SQL's LIKE.
        if let (Term::Value(Value::String(pattern)), Kind::Field(field)) = (&right_term, left_kind)
            && matches!(field.field_type, FieldType::String { .. })
            && pattern.contains('*')
            && matches!(comparison, Comparison::Eq | Comparison::Ne)
        {
            let matches = Condition::Matches(left_term, pattern.clone());
            return Ok(if comparison == Comparison::Eq { matches } else { Condition::Not(Box::new(matches)) });
        }
        Ok(Condition::Compare(comparison, left_term, right_term))
    }

    /// `condition eq flag` (`equal`) or `condition ne flag`, with OData's nulls: a string
    /// function of a missing value is null, neither true nor false (Part 2 §5.1.1.5), and null
    /// equals neither `true` nor `false` but differs from both (§5.1.1.1.1–2). So `eq false`
    /// holds only where the function's operands have values, and `ne false` also where they do
    /// not. Other conditions are never null here: comparisons with a missing value are false,
    /// as the store's `not` treats them.
    fn condition_compared(&self, condition: &Expr, equal: bool, flag: bool) -> Result<Condition, Error> {
        let holds = self.filter(condition)?;
        let mut known = Condition::True;
        if let Expr::Call(_, arguments) = condition {
            for argument in arguments.iter().filter(|argument| !matches!(argument, Expr::Literal(_))) {
                let value = self.text_term(argument)?;
                known = known.and(Condition::Compare(Comparison::Ne, value, Term::Value(Value::Null)));
            }
        }
        let is_false = Condition::Not(Box::new(holds.clone())).and(known);
        let not = |condition| Condition::Not(Box::new(condition));
        Ok(match (equal, flag) {
            (true, true) => holds,
            (false, true) => not(holds),
            (true, false) => is_false,
            (false, false) => not(is_false),
        })
    }

    /// A term that must hold text.
    fn text_term(&self, expr: &Expr) -> Result<Term, Error> {
        if let Expr::Literal(Literal::String(text)) = expr {
            return Ok(Term::Value(Value::String(text.clone())));
        }
        let (term, kind) = self.term(expr)?;
        match kind {
            Kind::Text | Kind::Literal => Ok(term),
            Kind::Field(field) if matches!(field.field_type, FieldType::String { .. } | FieldType::Guid) => Ok(term),
            _ => Err(Error::bad_request("A string function was given something that is not text.")),
        }
    }

    /// A value-producing expression and what it holds. Literals stay untyped until compared.
    fn term(&self, expr: &Expr) -> Result<(Term, Kind<'e>), Error> {
        match expr {
            Expr::Literal(literal) => Ok((self.literal_for(literal, Kind::Literal)?, Kind::Literal)),
            Expr::Property(path) => {
                let [name] = path.as_slice() else {
                    return Err(Error::not_implemented(
                        "Filtering by properties of related entities is not supported; use $expand with a nested $filter.",
                    ));
                };
                let (index, field) = self.field(name)?;
                Ok((Term::Field(index), Kind::Field(field)))
            }
            Expr::Negate(inner) => {
                let (term, kind) = self.term(inner)?;
                self.numeric(kind, "-")?;
                Ok((Term::Negate(Box::new(term)), if kind == Kind::Integer { Kind::Integer } else { Kind::Number }))
            }
            Expr::Binary(
                operator @ (BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::DivBy
                | BinaryOp::Mod),
                left,
                right,
            ) => {
                let (left_term, left_kind) = self.term(left)?;
                let (right_term, right_kind) = self.term(right)?;
                let name = format!("{operator:?}").to_lowercase();
                let whole = self.numeric(left_kind, &name)? && self.numeric(right_kind, &name)?;
                let arithmetic = match operator {
                    BinaryOp::Add => Arithmetic::Add,
                    BinaryOp::Sub => Arithmetic::Sub,
                    BinaryOp::Mul => Arithmetic::Mul,
                    BinaryOp::Div => Arithmetic::Div,
                    BinaryOp::DivBy => Arithmetic::DivBy,
                    _ => Arithmetic::Mod,
                };
                let kind = if whole && arithmetic != Arithmetic::DivBy { Kind::Integer } else { Kind::Number };
                Ok((Term::Arithmetic(arithmetic, Box::new(left_term), Box::new(right_term)), kind))
            }
            Expr::Call(name, arguments) => self.call(name, arguments),
            Expr::Binary(..) | Expr::Not(_) | Expr::In(..) | Expr::Lambda { .. } => {
                Err(Error::bad_request("A condition was used where a value belongs."))
            }
        }
    }

    /// Whether a kind is a number (true for whole numbers); an error when it is no number.
    fn numeric(&self, kind: Kind<'_>, operator: &str) -> Result<bool, Error> {
        match kind {
            Kind::Integer | Kind::Literal => Ok(true),
            Kind::Number => Ok(false),
            Kind::Field(field) => match field.field_type {
                FieldType::Integer => Ok(true),
                FieldType::Decimal { .. } => Ok(false),
                _ => Err(Error::bad_request(format!("{operator} needs numbers; {} is not a number.", field.name))),
            },
            _ => Err(Error::bad_request(format!("{operator} needs numbers."))),
        }
    }

    fn call(&self, name: &str, arguments: &[Expr]) -> Result<(Term, Kind<'e>), Error> {
        let (function, kind, arity) = match name {
            "tolower" => (Function::ToLower, Kind::Text, 1..=1),
            "toupper" => (Function::ToUpper, Kind::Text, 1..=1),
            "trim" => (Function::Trim, Kind::Text, 1..=1),
            "length" => (Function::Length, Kind::Integer, 1..=1),
            "indexof" => (Function::IndexOf, Kind::Integer, 2..=2),
            "substring" => (Function::Substring, Kind::Text, 2..=3),
            "concat" => (Function::Concat, Kind::Text, 2..=2),
            "year" => (Function::Year, Kind::Integer, 1..=1),
            "month" => (Function::Month, Kind::Integer, 1..=1),
            "day" => (Function::Day, Kind::Integer, 1..=1),
            "hour" => (Function::Hour, Kind::Integer, 1..=1),
            "minute" => (Function::Minute, Kind::Integer, 1..=1),
            "second" => (Function::Second, Kind::Integer, 1..=1),
            "fractionalseconds" => (Function::FractionalSeconds, Kind::Number, 1..=1),
            "date" => (Function::Date, Kind::Date, 1..=1),
            "time" => (Function::Time, Kind::Time, 1..=1),
            "round" => (Function::Round, Kind::Number, 1..=1),
            "floor" => (Function::Floor, Kind::Integer, 1..=1),
            "ceiling" => (Function::Ceiling, Kind::Integer, 1..=1),
            "now" => {
                if !arguments.is_empty() {
                    return Err(Error::bad_request("now() takes no arguments."));
                }
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                return Ok((Term::Value(Value::DateTime(now)), Kind::DateTime));
            }
            "contains" | "startswith" | "endswith" => {
                return Err(Error::bad_request(format!("{name}() is a condition; it cannot be used as a value.")));
            }
            other => return Err(Error::not_implemented(format!("The function {other} is not supported."))),
        };
        if !arity.contains(&arguments.len()) {
            return Err(Error::bad_request(format!("{name} takes {} argument(s).", arity.start())));
        }
        let mut terms = Vec::with_capacity(arguments.len());
        for (position, argument) in arguments.iter().enumerate() {
            let expected = match function {
                Function::ToLower | Function::ToUpper | Function::Trim | Function::Length | Function::Concat => "text",
                Function::IndexOf => "text",
                Function::Substring if position == 0 => "text",
                Function::Substring => "integer",
                Function::Round | Function::Floor | Function::Ceiling => "number",
                _ => "date",
            };
            let term = match expected {
                "text" => self.text_term(argument)?,
                "integer" | "number" => {
                    let (term, kind) = self.term(argument)?;
                    let whole = self.numeric(kind, name)?;
                    if expected == "integer" && !whole {
                        return Err(Error::bad_request(format!("{name} needs a whole number.")));
                    }
                    match (argument, expected) {
                        (Expr::Literal(literal), _) => self.literal_for(literal, Kind::Integer)?,
                        _ => term,
                    }
                }
                _ => {
                    let (term, kind) = self.term(argument)?;
                    let dated = match kind {
                        Kind::Date | Kind::DateTime => true,
                        Kind::Field(field) => matches!(field.field_type, FieldType::Date | FieldType::DateTime),
                        _ => false,
                    };
                    if !dated {
                        return Err(Error::bad_request(format!("{name} needs a date or date-time.")));
                    }
                    term
                }
            };
            terms.push(term);
        }
        Ok((Term::Call(function, terms), kind))
    }

    /// A literal as a term of the type `kind` holds.
    fn literal_for(&self, literal: &Literal, kind: Kind<'_>) -> Result<Term, Error> {
        if let Kind::Field(field) = kind {
            return Ok(Term::Value(field_value(field, literal)?));
        }
        Ok(Term::Value(match literal {
            Literal::Null => Value::Null,
            Literal::Boolean(flag) => Value::Boolean(*flag),
            Literal::Integer(number) => Value::Integer(*number),
            Literal::Decimal(text) => Value::Decimal(text.clone()),
            Literal::Double(number) => Value::Float(*number),
            Literal::String(text) | Literal::TimeOfDay(text) => Value::String(text.clone()),
            Literal::Date(text) => Value::Date(text.clone()),
            Literal::DateTimeOffset(text) => Value::DateTime(utc(text)?),
            Literal::Guid(text) => Value::String(text.to_ascii_lowercase()),
            Literal::Enum { value, .. } => Value::String(value.clone()),
            Literal::Duration(_) => return Err(Error::not_implemented("Duration values are not supported.")),
            Literal::Binary(_) => return Err(Error::not_implemented("Binary values are not supported.")),
        }))
    }

    /// The field called `name`: the exact spelling first, then any case.
    pub(super) fn field(&self, name: &str) -> Result<(usize, &'e Field), Error> {
        let entity = self.entity;
        entity
            .fields
            .iter()
            .position(|field| field.name == name)
            .or_else(|| entity.field_index(name))
            .and_then(|index| entity.fields.get(index).map(|field| (index, field)))
            .ok_or_else(|| Error::bad_request(format!("{} has no property {name}.", entity.name)))
    }

    /// `$orderby`: properties only, each once.
    pub(super) fn order(&self, items: &[OrderItem]) -> Result<Vec<Order>, Error> {
        let mut order: Vec<Order> = Vec::with_capacity(items.len());
        for item in items {
            let Expr::Property(path) = &item.expr else {
                return Err(Error::not_implemented("$orderby by an expression is not supported; order by properties."));
            };
            let [name] = path.as_slice() else {
                return Err(Error::not_implemented("$orderby by a related entity's property is not supported."));
            };
            let (index, _) = self.field(name)?;
            if order.iter().any(|seen| seen.field == index) {
                return Err(Error::bad_request(format!("$orderby names {name} twice.")));
            }
            order.push(Order { field: index, descending: item.descending });
        }
        Ok(order)
    }

    /// `$select`: the indexes of the selected fields (all when empty or `*`), and the selected
    /// navigation properties.
    pub(super) fn select(&self, items: &[SelectItem]) -> Result<(Vec<usize>, Vec<String>), Error> {
        if items.is_empty() || items.contains(&SelectItem::All) {
            return Ok(((0..self.entity.fields.len()).collect(), Vec::new()));
        }
        let mut fields = Vec::new();
        let mut relations = Vec::new();
        for item in items {
            let SelectItem::Path(path) = item else { continue };
            let [name] = path.as_slice() else {
                return Err(Error::not_implemented("$select of a path is not supported; select properties."));
            };
            if let Some(relation) = self.entity.relations.iter().find(|relation| relation.name == *name) {
                relations.push(relation.name.clone());
                continue;
            }
            let (index, _) = self.field(name)?;
            if !fields.contains(&index) {
                fields.push(index);
            }
        }
        fields.sort_unstable();
        Ok((fields, relations))
    }

    /// A key predicate as the key fields' values. Every key field must be named once (a single
    /// unnamed value serves an entity with a one-field key).
    pub(super) fn key(&self, key: &Key) -> Result<Fields, Error> {
        let entity = self.entity;
        let named: Vec<(String, &Literal)> = match key {
            Key::Single(literal) => {
                let [index] = entity.key.as_slice() else {
                    let names: Vec<&str> = entity.key_fields().map(|field| field.name.as_str()).collect();
                    return Err(Error::bad_request(format!(
                        "The key of {} has several fields; name each: ({}).",
                        entity.entity_set,
                        names.join(", ")
                    )));
                };
                let field = entity.fields.get(*index).ok_or_else(|| Error::bad_request("No key field."))?;
                vec![(field.name.clone(), literal)]
            }
            Key::Named(pairs) => pairs.iter().map(|(name, literal)| (name.clone(), literal)).collect(),
        };
        let mut fields = Fields::with_capacity(entity.key.len());
        for (name, literal) in named {
            let (index, field) = self.field(&name)?;
            if !entity.key.contains(&index) {
                return Err(Error::bad_request(format!("{name} is not part of the key of {}.", entity.entity_set)));
            }
            if fields.iter().any(|(seen, _)| *seen == field.name) {
                return Err(Error::bad_request(format!("The key names {name} twice.")));
            }
            let value = field_value(field, literal)?;
            if value == Value::Null {
                return Err(Error::bad_request(format!("Key field {name} cannot be null.")));
            }
            fields.push((field.name.clone(), value));
        }
        if fields.len() != entity.key.len() {
            let names: Vec<&str> = entity.key_fields().map(|field| field.name.as_str()).collect();
            return Err(Error::bad_request(format!(
                "The key of {} needs every key field: ({}).",
                entity.entity_set,
                names.join(", ")
            )));
        }
        Ok(fields)
    }
}

/// Whether an expression is a condition rather than a value: what [`Translator::filter`]
/// takes and [`Translator::term`] refuses.
fn is_condition(expr: &Expr) -> bool {
    match expr {
        Expr::Call(name, _) => matches!(name.as_str(), "contains" | "startswith" | "endswith"),
        Expr::Binary(operator, ..) => matches!(
            operator,
            BinaryOp::And
                | BinaryOp::Or
                | BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Has
        ),
        Expr::Not(_) | Expr::In(..) | Expr::Lambda { .. } => true,
        Expr::Literal(_) | Expr::Property(_) | Expr::Negate(_) => false,
    }
}

/// A literal as a value of `field`, checked as the store checks values: enum members, GUID
/// and date spellings, string lengths are not checked (a longer literal simply matches nothing).
fn field_value(field: &Field, literal: &Literal) -> Result<Value, Error> {
    let mismatch = || {
        Error::bad_request(format!("{} holds {} values; {literal:?} is not one.", field.name, field.field_type.name()))
    };
    let text = match (literal, &field.field_type) {
        (Literal::Null, _) => return Ok(Value::Null),
        (Literal::Boolean(flag), FieldType::Boolean) => return Ok(Value::Boolean(*flag)),
        (Literal::Integer(number), FieldType::Integer) => return Ok(Value::Integer(*number)),
        (Literal::Integer(number), FieldType::Decimal { .. }) => number.to_string(),
        (Literal::Decimal(text), FieldType::Decimal { .. }) => text.clone(),
        (Literal::Double(number), FieldType::Decimal { .. }) if number.is_finite() => number.to_string(),
        // Companies are stored lowercase; D365 compares them without regard to case.
        (Literal::String(text), FieldType::String { .. }) if field.name == COMPANY_FIELD => {
            return Ok(Value::String(text.to_ascii_lowercase()));
        }
        (Literal::String(text), FieldType::String { .. }) => return Ok(Value::String(text.clone())),
        (
            Literal::String(text),
            FieldType::Enum { .. }
            | FieldType::Guid
            | FieldType::Date
            | FieldType::DateTime
            | FieldType::Decimal { .. },
        ) => text.clone(),
        (Literal::Enum { type_name, value }, FieldType::Enum { name, .. }) => {
            let expected = format!("{}.{name}", super::NAMESPACE);
            if *type_name != expected && type_name != name {
                return Err(Error::bad_request(format!("{} is a {expected}, not a {type_name}.", field.name)));
            }
            value.clone()
        }
        (Literal::Guid(text), FieldType::Guid | FieldType::String { .. }) => text.clone(),
        (Literal::Date(text), FieldType::Date | FieldType::DateTime) => text.clone(),
        (Literal::DateTimeOffset(text), FieldType::DateTime | FieldType::Date) => utc(text)?,
        _ => return Err(mismatch()),
    };
    parse_value(field, &text, &ParseOptions::default())
        .map_err(|message| Error::bad_request(format!("{}: {message}.", field.name)))
}

/// A `dateTimeOffset` literal as the store writes date-times: RFC 3339 in UTC. The URL form may
/// leave out the seconds (`2012-09-03T13:52Z`), which RFC 3339 requires.
fn utc(text: &str) -> Result<String, Error> {
    let offset = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')).map(|local| format!("{local}+00:00"));
    let text = offset.as_deref().unwrap_or(text);
    chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z"))
        .map(|moment| moment.to_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .map_err(|error| Error::bad_request(format!("{text} is not a date-time: {error}.")))
}
