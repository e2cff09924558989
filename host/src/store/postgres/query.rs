//! OData's queries over one entity table on PostgreSQL: the shared renderer (`store::query`)
//! writes the SQL in PostgreSQL's dialect, and this file binds its values and reads its rows.

use anyhow::{Context as _, Result};
use tokio_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};
use wharf_plugin_sdk::Value;

use super::Database;
use super::values::{Parameter, select_list, stored_value};
use crate::entity::Entity;
use crate::store::query::{Dialect, Sql};
use crate::store::schema::{self, VERSION_COLUMN, quote};
use crate::store::{Condition, Query, QueryRow};

/// The type a query's parameter is bound as. The renderer writes parameters bare (`$1`), so
/// the value says what it is: a whole number is `bigint`, a decimal `numeric` (exact, and
/// compared with a decimal column as it is, so the column's index serves it), a
/// floating-point number `double precision`, text, dates and date-times `text`.
fn parameter_type(value: &Value) -> Type {
    match value {
        Value::Integer(_) => Type::INT8,
        Value::Float(_) => Type::FLOAT8,
        Value::Boolean(_) => Type::BOOL,
        Value::Decimal(_) => Type::NUMERIC,
        Value::Null | Value::String(_) | Value::Date(_) | Value::DateTime(_) => Type::TEXT,
    }
}

/// Runs a rendered statement in one round trip, its parameters typed by their values.
async fn rows(client: &impl GenericClient, sql: &Sql<'_>) -> Result<Vec<Row>> {
    let bound: Vec<(Parameter<'_>, Type)> =
        sql.parameters.iter().map(|value| (Parameter(value.as_ref()), parameter_type(value))).collect();
    let parameters: Vec<(&(dyn ToSql + Sync), Type)> =
        bound.iter().map(|(parameter, ty)| (parameter as &(dyn ToSql + Sync), ty.clone())).collect();
    Ok(client.query_typed(&sql.text, &parameters).await?)
}

impl Database {
    pub(in crate::store) fn query(&self, entity: &Entity, query: &Query) -> Result<Vec<QueryRow>> {
        self.check_prepared(entity)?;
        let head =
            format!("SELECT {}, {} FROM {}", select_list(&entity.fields), quote(VERSION_COLUMN), schema::table(entity));
        let sql = Sql::page(entity, Dialect::Postgres, &head, query)?;
        let found = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                rows(&**client, &sql).await
            })
            .with_context(|| format!("cannot query {}", entity.name))?;
        found
            .iter()
            .map(|row| {
                let values = entity
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(column, field)| Ok(stored_value(field, row, column)?.to_owned()))
                    .collect::<Result<Vec<Value>>>()?;
                let version: i64 = row.try_get(entity.fields.len())?;
                Ok(QueryRow { values, version: crate::store::stored_version(version)? })
            })
            .collect::<Result<_>>()
            .with_context(|| format!("cannot read {}", entity.name))
    }

    pub(in crate::store) fn query_count(&self, entity: &Entity, condition: &Condition) -> Result<u64> {
        self.check_prepared(entity)?;
        let head = format!("SELECT count(*) FROM {}", schema::table(entity));
        let sql = Sql::filtered(entity, Dialect::Postgres, &head, condition, None)?;
        let count: i64 = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let found = rows(&**client, &sql).await?;
                Ok(found.first().context("no count")?.try_get(0)?)
            })
            .with_context(|| format!("cannot count the rows of {}", entity.name))?;
        u64::try_from(count).context("a negative row count")
    }

    /// PostgreSQL's plan for `query`, one line per step. Sequential scans are switched off
    /// for it: a test's table is small enough that a scan would win anyway, and the question
    /// is whether an index can serve the query at all.
    pub(in crate::store) fn query_plan(&self, entity: &Entity, query: &Query) -> Result<Vec<String>> {
        self.check_prepared(entity)?;
        let head = format!("EXPLAIN SELECT * FROM {}", schema::table(entity));
        let sort = query.sort(entity);
        let sql = Sql::filtered(entity, Dialect::Postgres, &head, &query.condition, Some(&sort))?;
        self.postgres.wait(async {
            let mut client = self.postgres.client().await?;
            // Rolled back when dropped: the setting ends with it.
            let transaction = client.transaction().await?;
            transaction.batch_execute("SET LOCAL enable_seqscan = off").await?;
            let steps = rows(&*transaction, &sql).await?;
            steps.iter().map(|step| Ok(step.try_get::<_, String>(0)?)).collect()
        })
    }
}

/// The same queries over the same rows on both engines: the same rows in the same order, and
/// what PostgreSQL does better (exact decimals) on PostgreSQL alone.
#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::{BatchBuilder, Value};

    use super::{Dialect, Sql};
    use crate::entity::{Catalog, Entity};
    use crate::store::schema;
    use crate::store::tests::{On, Place, prepared_store};
    use crate::store::{Arithmetic, Comparison, Condition, Function, Order, Query, Store, Term};

    const ITEM: &str = r#"
name = "Item"
company = false
key = ["Code"]
indexes = [["Amount"], ["Name"]]

[[field]]
name = "Code"
type = "string"

[[field]]
name = "Name"
type = "string"

[[field]]
name = "Amount"
type = "decimal"

[[field]]
name = "Count"
type = "integer"

[[field]]
name = "Flag"
type = "boolean"

[[field]]
name = "Day"
type = "date"

[[field]]
name = "At"
type = "datetime"

[[field]]
name = "Kind"
type = "enum"
values = ["Retail", "Wholesale"]
"#;

    const CODE: usize = 0;
    const NAME: usize = 1;
    const AMOUNT: usize = 2;
    const COUNT: usize = 3;
    const FLAG: usize = 4;
    const DAY: usize = 5;
    const AT: usize = 6;
    const KIND: usize = 7;

    /// Every row in key order, with nulls, non-ASCII letters and `LIKE`'s special characters.
    const KEY_ORDER: [&str; 8] = ["A1", "A2", "B1", "B2", "C1", "C2", "C3", "D1"];

    fn text(value: Option<&str>, make: fn(String) -> Value) -> Value {
        value.map_or(Value::Null, |value| make(value.to_owned()))
    }

    #[expect(clippy::too_many_arguments, reason = "one argument per field keeps the rows a table")]
    fn item(
        code: &str,
        name: Option<&str>,
        amount: Option<&str>,
        count: Option<i64>,
        flag: Option<bool>,
        day: Option<&str>,
        at: Option<&str>,
        kind: Option<&str>,
    ) -> Vec<Value> {
        vec![
            Value::String(code.into()),
            text(name, Value::String),
            text(amount, Value::Decimal),
            count.map_or(Value::Null, Value::Integer),
            flag.map_or(Value::Null, Value::Boolean),
            text(day, Value::Date),
            text(at, Value::DateTime),
            text(kind, Value::String),
        ]
    }

    fn items() -> Vec<Vec<Value>> {
        let (retail, wholesale) = (Some("Retail"), Some("Wholesale"));
        vec![
            item(
                "A1",
                Some("Contoso"),
                Some("12.50"),
                Some(3),
                Some(true),
                Some("2024-01-15"),
                Some("2024-01-15T10:30:45.123Z"),
                retail,
            ),
            item(
                "A2",
                Some("contoso ltd"),
                Some("-0.5"),
                Some(-7),
                Some(false),
                Some("2023-12-31"),
                Some("2023-12-31T23:59:59Z"),
                wholesale,
            ),
            item("B1", Some("Émile_100%"), Some("1234567890.123456"), Some(0), None, None, None, None),
            item(
                "B2",
                Some("back\\slash"),
                None,
                Some(10),
                Some(true),
                Some("2024-02-29"),
                Some("2024-02-29T00:00:00.5Z"),
                retail,
            ),
            item("C1", None, Some("0"), None, Some(false), Some("2024-01-01"), Some("2024-01-01T05:06:07Z"), retail),
            item(
                "C2",
                Some("ÉMILE"),
                Some("99.999"),
                Some(5),
                Some(true),
                Some("2025-06-30"),
                Some("2025-06-30T12:00:00Z"),
                wholesale,
            ),
            item(
                "C3",
                Some("  padded "),
                Some("2.5"),
                Some(2),
                Some(false),
                Some("2022-03-04"),
                Some("2022-03-04T01:02:03Z"),
                retail,
            ),
            item(
                "D1",
                Some("a_b"),
                Some("-12.5"),
                Some(1),
                None,
                Some("2024-07-04"),
                Some("2024-07-04T18:45:00Z"),
                None,
            ),
        ]
    }

    /// The same rows in a store on each engine.
    struct Engines {
        _places: Vec<Place>,
        stores: Vec<(On, Store)>,
        entity: Entity,
    }

    impl Engines {
        fn with(engines: &[On], rows: &[Vec<Value>]) -> Engines {
            let entity = Entity::parse(ITEM, "Item.toml").expect("valid definition");
            let catalog = Catalog::new(vec![entity.clone()]).expect("valid catalog");
            let (mut places, mut stores) = (Vec::new(), Vec::new());
            for &on in engines {
                let (place, store) = prepared_store(on, &[]);
                store.prepare(&catalog).expect("tables prepared");
                let mut builder = BatchBuilder::new(entity.fields.iter().map(|field| field.name.clone()));
                for row in rows {
                    builder.push_row(&row.iter().map(Value::as_ref).collect::<Vec<_>>());
                }
                let mut writer = store.writer().expect("writer");
                let mut transaction = writer.transaction().expect("transaction");
                transaction.upsert(&entity, &builder.finish()).expect("upsert");
                transaction.commit().expect("commit");
                places.push(place);
                stores.push((on, store));
            }
            Engines { _places: places, stores, entity }
        }

        fn both() -> Engines {
            Engines::with(&[On::Sqlite, On::Postgres], &items())
        }

        /// The codes of the rows `query` returns, on every engine.
        fn codes(&self, query: &Query) -> Vec<(On, Vec<String>)> {
            self.stores
                .iter()
                .map(|(on, store)| {
                    let rows = store.query(&self.entity, query).unwrap_or_else(|error| panic!("{on:?}: {error:#}"));
                    (*on, rows.iter().map(|row| row.values[CODE].to_string()).collect())
                })
                .collect()
        }

        /// Asserts that every engine returns exactly `expected`, in key order, for `condition`,
        /// and counts as many.
        fn check(&self, condition: Condition, expected: &[&str]) {
            let query = Query { condition: condition.clone(), order: Vec::new(), after: None, offset: 0, limit: 100 };
            for (on, codes) in self.codes(&query) {
                assert_eq!(codes, expected, "{on:?}: {condition:?}");
            }
            for (on, store) in &self.stores {
                let count = store.query_count(&self.entity, &condition).unwrap_or_else(|error| panic!("{error:#}"));
                assert_eq!(count, expected.len() as u64, "{on:?} counts {condition:?}");
            }
        }

        /// Asserts that every engine returns exactly `expected` in `order`, whole and in pages
        /// of every size: each page starting after the last row of the one before, or
        /// `offset` rows in.
        fn check_order(&self, order: &[Order], expected: &[&str]) {
            let whole = Query { condition: Condition::True, order: order.to_vec(), after: None, offset: 0, limit: 100 };
            for (on, codes) in self.codes(&whole) {
                assert_eq!(codes, expected, "{on:?}: {order:?}");
            }
            for (on, store) in &self.stores {
                let sort = whole.sort(&self.entity);
                for size in 1..=3 {
                    let (mut paged, mut after) = (Vec::new(), None);
                    loop {
                        let page = Query { after: after.clone(), limit: size, ..whole.clone() };
                        let rows = store.query(&self.entity, &page).unwrap_or_else(|error| panic!("{error:#}"));
                        let Some(last) = rows.last() else { break };
                        after = Some(last.sort_values(&sort));
                        paged.extend(rows.iter().map(|row| row.values[CODE].to_string()));
                    }
                    assert_eq!(paged, expected, "{on:?} in pages of {size}: {order:?}");
                }
                let skipped = Query { offset: 3, limit: 2, ..whole.clone() };
                let rows = store.query(&self.entity, &skipped).unwrap_or_else(|error| panic!("{error:#}"));
                let codes: Vec<String> = rows.iter().map(|row| row.values[CODE].to_string()).collect();
                let skipped_expected: Vec<&str> = expected.iter().copied().skip(3).take(2).collect();
                assert_eq!(codes, skipped_expected, "{on:?} with an offset: {order:?}");
            }
        }
    }

    fn field(index: usize) -> Term {
        Term::Field(index)
    }

    fn string(text: &str) -> Term {
        Term::Value(Value::String(text.into()))
    }

    fn integer(number: i64) -> Term {
        Term::Value(Value::Integer(number))
    }

    fn decimal(text: &str) -> Term {
        Term::Value(Value::Decimal(text.into()))
    }

    fn null() -> Term {
        Term::Value(Value::Null)
    }

    fn call(function: Function, arguments: Vec<Term>) -> Term {
        Term::Call(function, arguments)
    }

    fn arithmetic(operator: Arithmetic, left: Term, right: Term) -> Term {
        Term::Arithmetic(operator, Box::new(left), Box::new(right))
    }

    fn eq(left: Term, right: Term) -> Condition {
        Condition::Compare(Comparison::Eq, left, right)
    }

    fn compare(comparison: Comparison, left: Term, right: Term) -> Condition {
        Condition::Compare(comparison, left, right)
    }

    fn not(condition: Condition) -> Condition {
        Condition::Not(Box::new(condition))
    }

    fn all_but(left_out: &[&str]) -> Vec<&'static str> {
        KEY_ORDER.into_iter().filter(|code| !left_out.contains(code)).collect()
    }

    #[test]
    fn comparisons_give_the_same_rows_on_both_engines_nulls_included() {
        let engines = Engines::both();
        engines.check(eq(field(NAME), string("Contoso")), &["A1"]);
        engines.check(compare(Comparison::Ne, field(NAME), string("Contoso")), &all_but(&["A1"]));
        engines.check(eq(field(NAME), null()), &["C1"]);
        engines.check(compare(Comparison::Ne, null(), field(NAME)), &all_but(&["C1"]));
        engines.check(compare(Comparison::Gt, field(COUNT), integer(2)), &["A1", "B2", "C2"]);
        engines.check(compare(Comparison::Le, field(COUNT), integer(0)), &["A2", "B1"]);
        engines.check(compare(Comparison::Gt, field(COUNT), null()), &[]);
        engines.check(not(compare(Comparison::Gt, field(COUNT), integer(2))), &["A2", "B1", "C1", "C3", "D1"]);
        engines.check(eq(field(FLAG), Term::Value(Value::Boolean(false))), &["A2", "C1", "C3"]);
        engines.check(Condition::IsTrue(field(FLAG)), &["A1", "B2", "C2"]);
        engines.check(not(Condition::IsTrue(field(FLAG))), &["A2", "B1", "C1", "C3", "D1"]);
        engines.check(eq(field(KIND), string("Retail")), &["A1", "B2", "C1", "C3"]);
        let new_year = Term::Value(Value::Date("2024-01-01".into()));
        engines.check(compare(Comparison::Gt, field(DAY), new_year), &["A1", "B2", "C2", "D1"]);
        let moment = Term::Value(Value::DateTime("2024-01-01T05:06:07Z".into()));
        engines.check(compare(Comparison::Lt, field(AT), moment), &["A2", "C3"]);
        engines.check(
            Condition::In(field(COUNT), vec![Value::Integer(3), Value::Integer(10), Value::Null]),
            &["A1", "B2"],
        );
        engines.check(Condition::In(field(NAME), Vec::new()), &[]);
        engines.check(Condition::True, &KEY_ORDER);
        engines.check(Condition::Or(Vec::new()), &[]);
        engines.check(Condition::And(Vec::new()), &KEY_ORDER);
        let chain = Condition::Or((0..500).map(|count| eq(field(COUNT), integer(count))).collect());
        engines.check(chain, &["A1", "B1", "B2", "C2", "C3", "D1"]);
        let both =
            Condition::And(vec![Condition::IsTrue(field(FLAG)), compare(Comparison::Lt, field(COUNT), integer(6))]);
        engines.check(both, &["A1", "C2"]);
    }

    #[test]
    fn decimals_compare_as_numbers_on_both_engines() {
        let engines = Engines::both();
        engines.check(compare(Comparison::Gt, field(AMOUNT), integer(10)), &["A1", "B1", "C2"]);
        engines.check(eq(field(AMOUNT), decimal("12.5")), &["A1"]);
        engines.check(compare(Comparison::Lt, field(AMOUNT), decimal("0")), &["A2", "D1"]);
        engines.check(compare(Comparison::Ne, field(AMOUNT), decimal("0")), &all_but(&["C1"]));
        engines.check(compare(Comparison::Gt, field(AMOUNT), Term::Value(Value::Float(99.9989))), &["B1", "C2"]);
        engines.check(eq(arithmetic(Arithmetic::Add, field(AMOUNT), decimal("0.5")), integer(13)), &["A1"]);
    }

    #[test]
    fn arithmetic_gives_the_same_rows_on_both_engines_and_division_by_zero_is_null() {
        let engines = Engines::both();
        engines.check(eq(arithmetic(Arithmetic::Add, field(COUNT), integer(1)), integer(4)), &["A1"]);
        engines.check(eq(arithmetic(Arithmetic::Sub, field(COUNT), integer(1)), integer(0)), &["D1"]);
        let doubled = arithmetic(Arithmetic::Mul, field(COUNT), integer(2));
        engines.check(compare(Comparison::Gt, doubled, integer(5)), &["A1", "B2", "C2"]);
        engines.check(eq(arithmetic(Arithmetic::Div, field(COUNT), integer(2)), integer(-3)), &["A2"]);
        engines.check(eq(arithmetic(Arithmetic::Mod, field(COUNT), integer(3)), integer(-1)), &["A2"]);
        engines.check(eq(arithmetic(Arithmetic::DivBy, field(COUNT), integer(2)), decimal("1.5")), &["A1"]);
        engines.check(eq(Term::Negate(Box::new(field(COUNT))), integer(7)), &["A2"]);
        engines.check(eq(arithmetic(Arithmetic::Div, field(COUNT), integer(0)), null()), &KEY_ORDER);
        engines.check(eq(arithmetic(Arithmetic::Mod, field(COUNT), integer(0)), null()), &KEY_ORDER);
        engines.check(eq(arithmetic(Arithmetic::DivBy, field(AMOUNT), integer(0)), null()), &KEY_ORDER);
        engines.check(eq(Term::Negate(Box::new(null())), null()), &KEY_ORDER);
        engines.check(eq(arithmetic(Arithmetic::Add, null(), null()), null()), &KEY_ORDER);
        engines.check(eq(arithmetic(Arithmetic::Mul, field(AMOUNT), null()), null()), &KEY_ORDER);
    }

    #[test]
    fn text_functions_give_the_same_rows_on_both_engines_with_ascii_case_only() {
        let engines = Engines::both();
        engines.check(eq(call(Function::Length, vec![field(NAME)]), integer(10)), &["B1", "B2"]);
        engines.check(eq(call(Function::ToLower, vec![field(NAME)]), string("contoso")), &["A1"]);
        engines.check(eq(call(Function::ToUpper, vec![field(NAME)]), string("ÉMILE")), &["C2"]);
        // É is not ASCII: it keeps its case, as SQLite's lower() keeps it.
        engines.check(eq(call(Function::ToLower, vec![field(NAME)]), string("Émile")), &["C2"]);
        engines.check(eq(call(Function::ToLower, vec![field(NAME)]), string("émile")), &[]);
        engines.check(eq(call(Function::IndexOf, vec![field(NAME), string("toso")]), integer(3)), &["A1", "A2"]);
        engines.check(eq(call(Function::IndexOf, vec![field(NAME), string("zzz")]), integer(-1)), &all_but(&["C1"]));
        let middle = call(Function::Substring, vec![field(NAME), integer(1), integer(3)]);
        engines.check(eq(middle, string("ont")), &["A1", "A2"]);
        engines.check(eq(call(Function::Substring, vec![field(NAME), integer(7)]), string(" ltd")), &["A2"]);
        let letters = call(Function::Substring, vec![field(NAME), integer(1), integer(4)]);
        engines.check(eq(letters, string("mile")), &["B1"]);
        engines.check(eq(call(Function::Trim, vec![field(NAME)]), string("padded")), &["C3"]);
        engines.check(eq(call(Function::Concat, vec![field(NAME), string("!")]), string("a_b!")), &["D1"]);
    }

    #[test]
    fn patterns_escape_their_special_characters_and_fold_ascii_case_on_both_engines() {
        let engines = Engines::both();
        engines.check(Condition::Matches(field(NAME), "*contoso*".into()), &["A1", "A2"]);
        engines.check(Condition::Matches(field(NAME), "Émile*".into()), &["B1", "C2"]);
        engines.check(Condition::Matches(field(NAME), "émile*".into()), &[]);
        engines.check(Condition::Matches(field(NAME), "a_b".into()), &["D1"]);
        engines.check(Condition::Matches(field(NAME), "*_*".into()), &["B1", "D1"]);
        engines.check(Condition::Contains(field(NAME), string("%")), &["B1"]);
        engines.check(Condition::Contains(field(NAME), string("\\")), &["B2"]);
        engines.check(Condition::Contains(field(NAME), string("_")), &["B1", "D1"]);
        engines.check(Condition::StartsWith(field(NAME), string("CON")), &["A1", "A2"]);
        engines.check(Condition::EndsWith(field(NAME), string("LTD")), &["A2"]);
        engines.check(Condition::EndsWith(field(NAME), string("%")), &["B1"]);
        engines.check(not(Condition::Contains(field(NAME), string("x"))), &KEY_ORDER);
        // A computed part is searched for exactly, case included.
        let lowered = call(Function::ToLower, vec![string("CONTOSO")]);
        engines.check(Condition::Contains(field(NAME), lowered), &["A2"]);
        let joined = call(Function::Concat, vec![string("Con"), string("toso")]);
        engines.check(Condition::StartsWith(field(NAME), joined), &["A1"]);
        engines.check(Condition::EndsWith(field(NAME), call(Function::Trim, vec![string("  ltd  ")])), &["A2"]);
    }

    #[test]
    fn date_and_number_functions_give_the_same_rows_on_both_engines() {
        let engines = Engines::both();
        let of = |function: Function, index: usize| call(function, vec![field(index)]);
        engines.check(eq(of(Function::Year, DAY), integer(2024)), &["A1", "B2", "C1", "D1"]);
        engines.check(eq(of(Function::Month, DAY), integer(12)), &["A2"]);
        engines.check(eq(of(Function::Day, DAY), integer(29)), &["B2"]);
        engines.check(eq(of(Function::Hour, AT), integer(23)), &["A2"]);
        engines.check(eq(of(Function::Minute, AT), integer(30)), &["A1"]);
        engines.check(eq(of(Function::Second, AT), integer(45)), &["A1"]);
        engines.check(eq(of(Function::Hour, DAY), integer(0)), &all_but(&["B1"]));
        engines.check(compare(Comparison::Gt, of(Function::FractionalSeconds, AT), integer(0)), &["A1", "B2"]);
        engines.check(eq(of(Function::FractionalSeconds, AT), decimal("0.5")), &["B2"]);
        engines.check(eq(of(Function::Date, AT), Term::Value(Value::Date("2024-01-15".into()))), &["A1"]);
        engines.check(eq(of(Function::Time, AT), string("23:59:59")), &["A2"]);
        engines.check(eq(of(Function::Round, AMOUNT), integer(13)), &["A1"]);
        engines.check(eq(of(Function::Round, AMOUNT), integer(-1)), &["A2"]);
        engines.check(eq(of(Function::Round, AMOUNT), integer(3)), &["C3"]);
        engines.check(eq(of(Function::Round, AMOUNT), integer(-13)), &["D1"]);
        engines.check(eq(of(Function::Round, COUNT), integer(3)), &["A1"]);
        engines.check(eq(of(Function::Floor, AMOUNT), integer(-1)), &["A2"]);
        engines.check(eq(of(Function::Floor, AMOUNT), integer(-13)), &["D1"]);
        engines.check(eq(of(Function::Ceiling, AMOUNT), integer(100)), &["C2"]);
        engines.check(eq(of(Function::Ceiling, AMOUNT), integer(0)), &["A2", "C1"]);
    }

    #[test]
    fn orders_and_keyset_pages_are_the_same_on_both_engines_nulls_first_ascending() {
        let engines = Engines::both();
        let by = |field: usize, descending: bool| Order { field, descending };
        engines.check_order(&[], &KEY_ORDER);
        engines.check_order(&[by(CODE, true)], &["D1", "C3", "C2", "C1", "B2", "B1", "A2", "A1"]);
        engines.check_order(&[by(NAME, false)], &["C1", "C3", "A1", "D1", "B2", "A2", "C2", "B1"]);
        engines.check_order(&[by(NAME, true)], &["B1", "C2", "A2", "B2", "D1", "A1", "C3", "C1"]);
        engines.check_order(&[by(AMOUNT, false)], &["B2", "D1", "A2", "C1", "C3", "A1", "C2", "B1"]);
        engines.check_order(&[by(COUNT, true)], &["B2", "C2", "A1", "C3", "D1", "B1", "A2", "C1"]);
        engines.check_order(&[by(FLAG, false), by(DAY, true)], &["D1", "B1", "C1", "A2", "C3", "C2", "B2", "A1"]);
    }

    #[test]
    fn decimals_of_28_digits_compare_and_sort_exactly_on_postgres() {
        let digits =
            ["1234567890123456789.123456789", "1234567890123456789.123456790", "-1234567890123456789.123456789"];
        let rows: Vec<Vec<Value>> = ["P1", "P2", "P3"]
            .iter()
            .zip(digits)
            .map(|(code, amount)| item(code, None, Some(amount), None, None, None, None, None))
            .collect();
        let engines = Engines::with(&[On::Postgres], &rows);
        engines.check(compare(Comparison::Gt, field(AMOUNT), decimal(digits[0])), &["P2"]);
        engines.check(eq(field(AMOUNT), decimal(digits[0])), &["P1"]);
        engines.check(compare(Comparison::Lt, field(AMOUNT), decimal(digits[1])), &["P1", "P3"]);
        let by_amount = |descending| vec![Order { field: AMOUNT, descending }];
        let whole = Query { condition: Condition::True, order: by_amount(true), after: None, offset: 0, limit: 10 };
        assert_eq!(engines.codes(&whole)[0].1, ["P2", "P1", "P3"]);
        let store = &engines.stores[0].1;
        let amounts: Vec<Value> = store
            .query(&engines.entity, &whole)
            .expect("query")
            .into_iter()
            .map(|row| row.values[AMOUNT].clone())
            .collect();
        assert_eq!(
            amounts,
            [digits[1], digits[0], digits[2]].map(|text| Value::Decimal(text.into())),
            "read back exactly"
        );
        engines.check_order(&by_amount(false), &["P3", "P1", "P2"]);
    }

    #[test]
    fn an_index_serves_key_and_decimal_conditions_on_postgres() {
        let engines = Engines::with(&[On::Postgres], &items());
        let store = &engines.stores[0].1;
        let plan = |condition: Condition| {
            let query = Query { condition, order: Vec::new(), after: None, offset: 0, limit: 10 };
            store.query_plan(&engines.entity, &query).expect("a plan").join("; ")
        };
        let by_key = plan(eq(field(CODE), string("A1")));
        assert!(by_key.contains("Index") && !by_key.contains("Seq Scan"), "{by_key}");
        let by_amount = plan(compare(Comparison::Gt, field(AMOUNT), decimal("10.5")));
        assert!(by_amount.contains("Index") && !by_amount.contains("Seq Scan"), "{by_amount}");
        let by_integer = plan(compare(Comparison::Gt, field(AMOUNT), integer(10)));
        assert!(by_integer.contains("Index") && !by_integer.contains("Seq Scan"), "{by_integer}");
    }

    #[test]
    fn a_keyset_page_in_key_order_is_one_range_of_the_key_index_on_postgres() {
        // Company first: a key of two fields, whose "after" would be an `OR` but for the row
        // comparison.
        let line = Entity::parse(
            "name = \"Line\"\nkey = [\"Code\"]\n[[field]]\nname = \"Code\"\ntype = \"string\"\n",
            "Line.toml",
        )
        .expect("valid definition");
        let (place, store) = prepared_store(On::Postgres, &[]);
        store.prepare(&Catalog::new(vec![line.clone()]).expect("valid catalog")).expect("tables prepared");
        let Place::Database(postgres) = &place else { panic!("a PostgreSQL place") };
        let page = |descending: bool| {
            // The key's own order, company first, either way.
            let order = vec![Order { field: 0, descending }, Order { field: 1, descending }];
            let after = Some(vec![Value::String("usmf".into()), Value::String("L1".into())]);
            let query = Query { condition: Condition::True, order, after, offset: 0, limit: 2 };
            let head = format!("EXPLAIN SELECT * FROM {}", schema::table(&line));
            let sql = Sql::page(&line, Dialect::Postgres, &head, &query).expect("rendered");
            let plan: Vec<String> = postgres
                .wait(async {
                    let mut client = postgres.client().await?;
                    let transaction = client.transaction().await?;
                    transaction.batch_execute("SET LOCAL enable_seqscan = off").await?;
                    let steps = super::rows(&*transaction, &sql).await?;
                    steps.iter().map(|step| Ok(step.try_get::<_, String>(0)?)).collect()
                })
                .expect("a plan");
            plan.join("; ")
        };
        for descending in [false, true] {
            let plan = page(descending);
            assert!(plan.contains("Index Cond: (ROW(") && !plan.contains("Sort"), "{plan}");
        }
    }
}
