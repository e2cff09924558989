//! Unit tests of the URL syntax: literals, expressions and their precedence, options, paths
//! and keys, errors with their positions, and the limits that keep hostile input harmless.
//! Expressions are compared through their canonical `Display` form, which is short to write
//! and shows the shape of the tree.

use super::*;

/// The canonical form of a filter that must parse.
fn filter(text: &str) -> String {
    match parse_filter(text) {
        Ok(expr) => expr.to_string(),
        Err(error) => panic!("{text:?} should parse: {error}"),
    }
}

/// The error of a filter that must not parse.
fn filter_error(text: &str) -> SyntaxError {
    match parse_filter(text) {
        Ok(expr) => panic!("{text:?} should not parse, got {expr}"),
        Err(error) => error,
    }
}

fn literal(text: &str) -> Literal {
    parse_literal(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

fn literal_error(text: &str) -> SyntaxError {
    match parse_literal(text) {
        Ok(literal) => panic!("{text:?} should not parse, got {literal}"),
        Err(error) => error,
    }
}

fn query(text: &str) -> QueryOptions {
    parse_query(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

fn query_error(text: &str) -> SyntaxError {
    match parse_query(text) {
        Ok(options) => panic!("{text:?} should not parse, got {options:?}"),
        Err(error) => error,
    }
}

fn path(text: &str) -> Vec<Segment> {
    parse_path(text).unwrap_or_else(|error| panic!("{text:?} should parse: {error}"))
}

fn path_error(text: &str) -> SyntaxError {
    match parse_path(text) {
        Ok(segments) => panic!("{text:?} should not parse, got {segments:?}"),
        Err(error) => error,
    }
}

fn name(text: &str) -> Segment {
    Segment::Name(text.to_owned())
}

fn string(text: &str) -> Literal {
    Literal::String(text.to_owned())
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|text| (*text).to_owned()).collect()
}

#[test]
fn strings_unescape_doubled_quotes_and_keep_everything_else() {
    assert_eq!(literal("'O''Neil'"), string("O'Neil"));
    assert_eq!(literal("''"), string(""));
    assert_eq!(literal("''''"), string("'"));
    assert_eq!(literal("'a/b?c&d=e (f), g; +'"), string("a/b?c&d=e (f), g; +"));
    assert_eq!(literal("'Grüße 東京'"), string("Grüße 東京"));
}

#[test]
fn a_lone_quote_ends_the_string_and_an_unclosed_one_is_reported_where_it_opened() {
    assert_eq!(literal_error("'O'Neil'").position, 3);
    let error = literal_error("Name eq 'x");
    assert_eq!(error.position, 0, "{error}");
    let error = filter_error("Name eq 'x");
    assert_eq!(error.position, 8);
    assert!(error.message.contains("no closing quote"), "{error}");
}

#[test]
fn whole_numbers_are_integers_until_they_overflow_an_i64() {
    assert_eq!(literal("42"), Literal::Integer(42));
    assert_eq!(literal("-42"), Literal::Integer(-42));
    assert_eq!(literal("+42"), Literal::Integer(42));
    assert_eq!(literal("0123"), Literal::Integer(123));
    assert_eq!(literal("9223372036854775807"), Literal::Integer(i64::MAX));
    assert_eq!(literal("-9223372036854775808"), Literal::Integer(i64::MIN));
    assert_eq!(literal("9223372036854775808"), Literal::Decimal("9223372036854775808".into()));
    assert_eq!(literal("+123456789012345678901234567890"), Literal::Decimal("123456789012345678901234567890".into()));
}

#[test]
fn a_point_makes_a_decimal_kept_as_written_and_an_exponent_a_double() {
    assert_eq!(literal("1.50"), Literal::Decimal("1.50".into()));
    assert_eq!(literal("-0.5"), Literal::Decimal("-0.5".into()));
    assert_eq!(literal("+2.25"), Literal::Decimal("2.25".into()));
    assert_eq!(literal("-0.25e1"), Literal::Double(-2.5));
    assert_eq!(literal("1E-3"), Literal::Double(0.001));
    assert_eq!(literal("2e+2"), Literal::Double(200.0));
    assert_eq!(literal("INF"), Literal::Double(f64::INFINITY));
    assert_eq!(literal("-INF"), Literal::Double(f64::NEG_INFINITY));
    assert!(matches!(literal("NaN"), Literal::Double(value) if value.is_nan()));
}

#[test]
fn malformed_numbers_say_where_they_break() {
    assert_eq!(literal_error("+42.").position, 4);
    assert_eq!(literal_error(".1").position, 0);
    assert_eq!(literal_error("1e").position, 2);
    assert_eq!(literal_error("12abc").position, 2);
    assert!(literal_error("1e400").message.contains("out of the range of a double"));
    assert_eq!(literal_error("inf").position, 0, "INF and NaN are case-sensitive");
}

#[test]
fn keywords_are_case_insensitive_literals() {
    assert_eq!(literal("true"), Literal::Boolean(true));
    assert_eq!(literal("FALSE"), Literal::Boolean(false));
    assert_eq!(literal("Null"), Literal::Null);
}

#[test]
fn dates_and_times_are_checked_for_range() {
    assert_eq!(literal("2012-09-03"), Literal::Date("2012-09-03".into()));
    assert_eq!(literal("0000-01-01"), Literal::Date("0000-01-01".into()));
    assert_eq!(literal("-10000-04-01"), Literal::Date("-10000-04-01".into()));
    assert_eq!(literal("2024-02-29"), Literal::Date("2024-02-29".into()));
    assert_eq!(literal("2000-02-29"), Literal::Date("2000-02-29".into()));
    assert_eq!(literal_error("1900-02-29").position, 8);
    assert_eq!(literal_error("2023-02-29").position, 8);
    assert_eq!(literal_error("2012-13-01").position, 6);
    assert_eq!(literal_error("2012-00-01").position, 6);
    assert_eq!(literal_error("2012-04-31").position, 8);
    assert_eq!(literal_error("2012-04-32").position, 9);
    assert_eq!(literal_error("2012-4-01").position, 6);
    assert_eq!(literal("11:22:33"), Literal::TimeOfDay("11:22:33".into()));
    assert_eq!(literal("11:22"), Literal::TimeOfDay("11:22".into()));
    assert_eq!(literal("23:59:59.999999999999"), Literal::TimeOfDay("23:59:59.999999999999".into()));
    assert_eq!(literal_error("24:00:00").position, 1);
    assert_eq!(literal_error("12:60").position, 3);
    assert_eq!(literal_error("12:00:00.1234567890123").position, 21);
}

#[test]
fn date_times_need_a_zone_and_accept_offsets_and_fractions() {
    for text in ["2012-09-03T13:52Z", "2012-09-03T08:09:02Z", "2012-08-31T18:19:22.1Z", "2012-09-03T14:53+02:00"] {
        assert_eq!(literal(text), Literal::DateTimeOffset(text.into()));
    }
    assert_eq!(literal_error("2011-12-31T24:00Z").position, 12);
    assert_eq!(literal_error("2012-09-03T24:00-03:00").position, 12);
    assert!(literal_error("2012-09-03T08:00").message.contains("time zone"));
    assert!(literal_error("2012-09-03T08:00:00+25:00").message.contains("hour of the offset"));
    let error = filter_error("Created gt 2012-09-03T08:00:00 01:00");
    assert!(error.message.contains("%2B"), "{error}");
}

#[test]
fn durations_count_days_hours_minutes_and_seconds_only() {
    assert_eq!(literal("duration'P6DT23H59M59.9999S'"), Literal::Duration("P6DT23H59M59.9999S".into()));
    assert_eq!(literal("Duration'-PT5M'"), Literal::Duration("-PT5M".into()));
    assert_eq!(literal("P1D"), Literal::Duration("P1D".into()), "bare, as in payloads");
    assert_eq!(literal("pt1h"), Literal::Duration("PT1H".into()));
    assert_eq!(literal_error("P1Y6DT23H").position, 2);
    assert_eq!(literal_error("P1M6D").position, 2);
    assert_eq!(literal_error("duration'P'").position, 10);
    assert_eq!(literal_error("duration'PT'").position, 11);
    assert_eq!(literal_error("duration'PT1M1H'").position, 14);
    assert_eq!(literal_error("duration'PT1.5H'").position, 11);
    assert_eq!(literal_error("duration'P1D").position, 12);
}

#[test]
fn guids_binaries_and_enumerations_have_their_own_forms() {
    let guid = "01234567-89ab-cdef-0123-456789ABCDEF";
    assert_eq!(literal(guid), Literal::Guid(guid.into()));
    assert_eq!(
        literal("deadbeef-0000-4000-8000-000000000001"),
        Literal::Guid("deadbeef-0000-4000-8000-000000000001".into())
    );
    assert_eq!(literal_error("01234g67-89ab-cdef-0123-456789abcdef").position, 5);
    assert!(parse_literal("01234567-89ab-cdef-456789abcdef").is_err());
    assert_eq!(literal("binary''"), Literal::Binary(Vec::new()));
    assert_eq!(literal("binary'Zm9vYmFy'"), Literal::Binary(b"foobar".to_vec()));
    assert_eq!(literal("BINARY'Zg=='"), Literal::Binary(b"f".to_vec()));
    assert_eq!(literal("binary'Zg'"), Literal::Binary(b"f".to_vec()));
    assert_eq!(literal("binary'_-8'"), Literal::Binary(vec![0xff, 0xef]));
    assert_eq!(literal_error("binary'Zm9v+g'").position, 11);
    assert_eq!(literal_error("binary'Zh'").position, 7, "the unused bits must be zero");
    assert_eq!(literal_error("binary'Zg='").position, 9, "padding is complete or absent");
    assert_eq!(literal_error("X'1a2B3c4D'").position, 0);
    let yes = Literal::Enum { type_name: "Microsoft.Dynamics.DataEntities.NoYes".into(), value: "Yes".into() };
    assert_eq!(literal("Microsoft.Dynamics.DataEntities.NoYes'Yes'"), yes);
    let flags = Literal::Enum { type_name: "Sales.Pattern".into(), value: "Solid,Yellow,32".into() };
    assert_eq!(literal("Sales.Pattern'Solid,Yellow,32'"), flags);
    assert_eq!(literal_error("Sales.Pattern'Solid,'").position, 20);
    assert!(literal_error("geography'SRID=0;Point(1 2)'").message.contains("not supported"));
}

#[test]
fn literals_print_in_their_canonical_form() {
    let cases = [
        ("null", "(null)"),
        ("TRUE", "(bool true)"),
        ("-7", "(int -7)"),
        ("+1.50", "(dec 1.50)"),
        ("-0.25e1", "(double -2.5e0)"),
        ("1e300", "(double 1e300)"),
        ("-INF", "(double -INF)"),
        ("NaN", "(double NaN)"),
        ("'it''s'", "(str 'it''s')"),
        ("duration'p1d'", "(duration P1D)"),
        ("binary'Zg=='", "(binary Zg)"),
        ("Ns.Color'Red'", "(enum Ns.Color 'Red')"),
        ("2012-09-03T13:52Z", "(datetimeoffset 2012-09-03T13:52Z)"),
    ];
    for (text, canonical) in cases {
        assert_eq!(literal(text).to_string(), canonical, "{text}");
    }
}

#[test]
fn operators_follow_the_precedence_table_and_associate_left() {
    let cases = [
        ("a or b and c", "(or (prop a) (and (prop b) (prop c)))"),
        ("a and b or c", "(or (and (prop a) (prop b)) (prop c))"),
        ("a eq 1 and b ne 2", "(and (eq (prop a) (int 1)) (ne (prop b) (int 2)))"),
        ("a eq b gt c", "(eq (prop a) (gt (prop b) (prop c)))"),
        ("a gt b eq c", "(eq (gt (prop a) (prop b)) (prop c))"),
        ("a add b mul c", "(add (prop a) (mul (prop b) (prop c)))"),
        ("a sub b sub c", "(sub (sub (prop a) (prop b)) (prop c))"),
        ("a div b divby c mod d", "(mod (divby (div (prop a) (prop b)) (prop c)) (prop d))"),
        ("Price add 2.45 eq 5.00", "(eq (add (prop Price) (dec 2.45)) (dec 5.00))"),
        ("not a eq b", "(eq (not (prop a)) (prop b))"),
        ("not (a eq b)", "(not (eq (prop a) (prop b)))"),
        ("-a mul b", "(mul (neg (prop a)) (prop b))"),
        ("- 5", "(neg (int 5))"),
        ("-5", "(int -5)"),
        ("--5", "(neg (int -5))"),
        ("-(5)", "(neg (int 5))"),
        ("-a has Ns.E'x'", "(neg (has (prop a) (enum Ns.E 'x')))"),
        ("a add b in (1, 2)", "(add (prop a) (in (prop b) (list (int 1) (int 2))))"),
        ("not a in ('x')", "(not (in (prop a) (list (str 'x'))))"),
        ("(4 add 5) mod (4 sub 1) eq 0", "(eq (mod (add (int 4) (int 5)) (sub (int 4) (int 1))) (int 0))"),
        ("( true )", "(bool true)"),
    ];
    for (text, canonical) in cases {
        assert_eq!(filter(text), canonical, "{text}");
    }
}

#[test]
fn operators_functions_and_keywords_are_case_insensitive() {
    assert_eq!(filter("Name EQ 'x' AND NOT Done Or Price Lt 3"), filter("Name eq 'x' and not Done or Price lt 3"));
    assert_eq!(filter("CONTAINS(Name,'x')"), "(call contains (prop Name) (str 'x'))");
    assert_eq!(filter("matchesPattern(Name,'^A')"), "(call matchespattern (prop Name) (str '^A'))");
    assert_eq!(filter("Items/ANY(x:x/Done)"), "(any (prop Items) x (prop x Done))");
}

#[test]
fn keywords_only_match_whole_words() {
    assert_eq!(filter("nullable eq trueish"), "(eq (prop nullable) (prop trueish))");
    assert_eq!(filter("Notes ne INFO"), "(ne (prop Notes) (prop INFO))");
    assert_eq!(filter("-INFO"), "(neg (prop INFO))");
    assert_eq!(filter("android eq 1"), "(eq (prop android) (int 1))");
    assert_eq!(filter("Items/anything eq 1"), "(eq (prop Items anything) (int 1))");
}

#[test]
fn functions_are_called_with_the_number_of_arguments_they_take() {
    let cases = [
        ("substring(CompanyName, 5)", "(call substring (prop CompanyName) (int 5))"),
        ("substring(CompanyName,5,2)", "(call substring (prop CompanyName) (int 5) (int 2))"),
        ("concat(concat(Street,'-'),City)", "(call concat (call concat (prop Street) (str '-')) (prop City))"),
        ("now()", "(call now)"),
        ("now( )", "(call now)"),
        ("year(Created) eq 2026", "(eq (call year (prop Created)) (int 2026))"),
        ("cast(Category,Edm.Boolean)", "(call cast (prop Category) (prop Edm.Boolean))"),
        ("isof(Model.Customer)", "(call isof (prop Model.Customer))"),
        ("not endswith(Name,'ilk')", "(not (call endswith (prop Name) (str 'ilk')))"),
    ];
    for (text, canonical) in cases {
        assert_eq!(filter(text), canonical, "{text}");
    }
    let error = filter_error("contains(Name)");
    assert_eq!((error.position, error.message.as_str()), (0, "contains takes 2 arguments, not 1"));
    assert!(filter_error("substring(Name)").message.contains("2 or 3 arguments"));
    assert!(filter_error("now(1)").message.contains("no arguments"));
    assert!(filter_error("soundex(Name)").message.contains("not a built-in function"));
    assert!(filter_error("Model.Available()").message.contains("custom functions"));
    assert!(filter_error("geo.distance(a,b)").message.contains("geo functions"));
    assert!(filter_error("Items(1)/Name eq 1").message.contains("not a built-in function"));
}

#[test]
fn member_paths_take_navigation_casts_it_and_count() {
    let cases = [
        ("Supplier/Address/City eq 'Oslo'", "(eq (prop Supplier Address City) (str 'Oslo'))"),
        ("Address/Model.AddressWithLocation/Location", "(prop Address Model.AddressWithLocation Location)"),
        ("$it/Completed", "(prop $it Completed)"),
        ("endswith($it,'.com')", "(call endswith (prop $it) (str '.com'))"),
        ("Products/$count gt 0", "(gt (prop Products $count) (int 0))"),
        ("_id eq 1", "(eq (prop _id) (int 1))"),
    ];
    for (text, canonical) in cases {
        assert_eq!(filter(text), canonical, "{text}");
    }
    assert_eq!(filter_error("Products/$count/x").position, 15);
    assert!(filter_error("$root/Customers").message.contains("$root"));
    assert_eq!(filter_error("Address/").position, 8);
}

#[test]
fn lambdas_parse_with_and_without_a_predicate() {
    assert_eq!(filter("Products/any()"), "(any (prop Products))");
    assert_eq!(filter("Products/any( )"), "(any (prop Products))");
    assert_eq!(
        filter("Orders/all( o : o/Items/any(i: i/Quantity gt 100) )"),
        "(all (prop Orders) o (any (prop o Items) i (gt (prop i Quantity) (int 100))))"
    );
    assert_eq!(filter_error("any()").position, 0);
    assert_eq!(filter_error("Products/all()").position, 13);
    assert_eq!(filter_error("Products/any(x)").position, 14);
}

#[test]
fn has_takes_an_enumeration_and_in_a_list() {
    assert_eq!(filter("style has Sales.Pattern'Yellow'"), "(has (prop style) (enum Sales.Pattern 'Yellow'))");
    assert_eq!(filter("Id in (1,2 , 3)"), "(in (prop Id) (list (int 1) (int 2) (int 3)))");
    assert_eq!(filter_error("style has 'Yellow'").position, 10);
    assert!(filter_error("Id in Ids").message.contains("parenthesised list"));
    assert!(filter_error("Id in ()").message.contains("at least one value"));
    assert!(filter_error("(1, 2)").message.contains("only allowed after `in`"));
}

#[test]
fn whitespace_separates_operators_but_may_not_surround_the_expression() {
    assert_eq!(filter("Name\teq\t'x'"), "(eq (prop Name) (str 'x'))");
    assert_eq!(filter("a  eq  1"), "(eq (prop a) (int 1))");
    assert_eq!(filter_error(" true").position, 0);
    let error = filter_error("true ");
    assert_eq!((error.position, error.message.as_str()), (4, "unexpected space at the end of the expression"));
    assert_eq!(filter_error("a eq'x'").position, 4);
    assert_eq!(filter_error("not(a)").message, "`not` needs a space before its operand");
    let error = filter_error("Name eq 'x' xor b");
    assert_eq!(error.position, 12);
    assert!(error.message.contains("found `xor`"), "{error}");
}

#[test]
fn errors_name_what_was_expected_and_where() {
    let error = filter_error("(Name eq 'x'");
    assert_eq!(error.position, 12);
    assert_eq!(error.message, "expected `)` to close the parenthesis at position 0, found the end of the text");
    assert_eq!(filter_error("").message, "expected an expression, found the end of the text");
    assert_eq!(filter_error("Name eq").position, 7, "`eq` needs a space after it");
    assert_eq!(filter_error("Name eq ").position, 8);
    assert!(filter_error("Title eq @title").message.contains("parameter aliases"));
    assert!(filter_error("$it eq {\"a\":1}").message.contains("JSON"));
    assert_eq!(filter_error("Name eq 'a' and ,").position, 16);
}

#[test]
fn orderby_items_take_asc_and_desc_in_any_case() {
    let items = parse_orderby("Name asc,Rating,ReleaseDate DESC , year(Created)\tdesc").expect("parses");
    let shown: Vec<(String, bool)> = items.iter().map(|item| (item.expr.to_string(), item.descending)).collect();
    assert_eq!(
        shown,
        [
            ("(prop Name)".to_owned(), false),
            ("(prop Rating)".to_owned(), false),
            ("(prop ReleaseDate)".to_owned(), true),
            ("(call year (prop Created))".to_owned(), true),
        ]
    );
    assert!(parse_orderby("Name asc desc").is_err());
    assert!(parse_orderby("Name,").is_err());
    assert!(parse_orderby("").is_err());
}

#[test]
fn select_takes_star_and_paths() {
    let items = parse_select("Name, Address/City,*,Model.Manager/Budget").expect("parses");
    assert_eq!(
        items,
        [
            SelectItem::Path(strings(&["Name"])),
            SelectItem::Path(strings(&["Address", "City"])),
            SelectItem::All,
            SelectItem::Path(strings(&["Model.Manager", "Budget"])),
        ]
    );
    assert!(parse_select("Name($select=x)").expect_err("should not parse").message.contains("nested in $select"));
    assert_eq!(parse_select("Model.*").expect_err("should not parse").position, 5);
    assert_eq!(parse_select("Name;Price").expect_err("should not parse").position, 4);
    assert!(parse_select("").is_err());
}

#[test]
fn expand_items_carry_their_own_options() {
    let items = parse_expand(
        "Lines($select=ItemNumber,Quantity;$filter=Quantity gt 1;$top=5;$expand=Product($select=Name)),Customer",
    )
    .expect("parses");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].path, strings(&["Lines"]));
    let options = &items[0].options;
    assert_eq!(options.select.len(), 2);
    assert_eq!(options.filter.as_ref().map(ToString::to_string).as_deref(), Some("(gt (prop Quantity) (int 1))"));
    assert_eq!(options.top, Some(5));
    assert_eq!(options.expand[0].path, strings(&["Product"]));
    assert_eq!(options.expand[0].options.select, [SelectItem::Path(strings(&["Name"]))]);
    assert_eq!(items[1], ExpandItem { path: strings(&["Customer"]), options: QueryOptions::default() });
}

#[test]
fn expand_options_may_contain_semicolons_and_parentheses_in_strings() {
    let items = parse_expand("Lines($filter=Note eq 'a;b)' or contains(Note,'(');$count=true)").expect("parses");
    let options = &items[0].options;
    assert!(options.count);
    assert_eq!(
        options.filter.as_ref().map(ToString::to_string).as_deref(),
        Some("(or (eq (prop Note) (str 'a;b)')) (call contains (prop Note) (str '(')))")
    );
}

#[test]
fn expand_refuses_options_that_cannot_follow_ref_or_count() {
    let items = parse_expand("*,*/$ref,*($levels=2),Items/$ref,Items/$count($search=x)").expect("parses");
    let paths: Vec<Vec<String>> = items.iter().map(|item| item.path.clone()).collect();
    assert_eq!(
        paths,
        [
            strings(&["*"]),
            strings(&["*", "$ref"]),
            strings(&["*"]),
            strings(&["Items", "$ref"]),
            strings(&["Items", "$count"])
        ]
    );
    assert_eq!(items[2].options.unsupported, ["$levels"]);
    assert_eq!(parse_expand("Customer/$ref($levels=4)").expect_err("should not parse").position, 14);
    assert_eq!(parse_expand("Items/$count($count=true)").expect_err("should not parse").position, 13);
    assert_eq!(parse_expand("*($select=Name)").expect_err("should not parse").position, 2);
    assert_eq!(parse_expand("Items($top=1;$top=2)").expect_err("should not parse").position, 13);
    assert_eq!(parse_expand("Items($filter=Name eq 'x'").expect_err("should not parse").position, 5);
    let error = parse_expand("Items($filter=Name eq)").expect_err("should not parse");
    assert_eq!(error.position, 21);
    assert!(error.message.starts_with("$filter: "), "{error}");
}

#[test]
fn query_strings_decode_plus_as_space_and_keep_custom_options() {
    let options =
        query("$filter=Name+eq+%27O%27%27Neil%27&cross-company=true&$TOP=10&$skip=0&$Count=TRUE&&$format=json");
    assert_eq!(options.filter.as_ref().map(ToString::to_string).as_deref(), Some("(eq (prop Name) (str 'O''Neil'))"));
    assert_eq!((options.top, options.skip, options.count), (Some(10), Some(0), true));
    assert_eq!(options.format.as_deref(), Some("json"));
    assert_eq!(options.custom, [("cross-company".to_owned(), "true".to_owned())]);
    let options = query("search=O%27Neil&!special&$orderby=Name&$skiptoken=a%3Db");
    assert_eq!(options.custom, [("search".to_owned(), "O'Neil".to_owned()), ("!special".to_owned(), String::new())]);
    assert_eq!(options.skiptoken.as_deref(), Some("a=b"));
    assert_eq!(query(""), QueryOptions::default());
}

#[test]
fn unsupported_options_are_recorded_by_name_without_reading_their_values() {
    let options = query("$search=\"blue\"green\"&$APPLY=groupby((Name))&$compute=x&$deltatoken=1&$id=x&$levels=max");
    assert_eq!(options.unsupported, ["$search", "$apply", "$compute", "$deltatoken", "$id", "$levels"]);
}

#[test]
fn bad_query_options_are_refused_where_they_were_sent() {
    let cases = [
        ("$top=10&$top=20", 8, "$top is given twice; a system query option may appear once"),
        ("$top=1&$TOP=2", 7, "$TOP is given twice; a system query option may appear once"),
        ("$frobnicate=1", 0, "unknown system query option $frobnicate"),
        ("$top=-1", 5, "$top: expected a whole number of zero or more, in digits"),
        ("$skip=99999999999999999999", 6, "$skip: the number is too large"),
        ("$count=yes", 7, "$count: expected true or false"),
        ("$count", 6, "$count: expected true or false"),
        ("$format=", 8, "$format: expected a value after `=`"),
        ("@word='Black'", 0, "parameter aliases such as @word are not supported; write the value in place"),
        ("=x", 0, "a query option needs a name before `=`"),
    ];
    for (text, position, message) in cases {
        let error = query_error(text);
        assert_eq!((error.position, error.message.as_str()), (position, message), "{text}");
    }
}

#[test]
fn errors_inside_encoded_values_point_into_the_raw_query() {
    let error = query_error("$top=1&$filter=Name%20eq%20%27x%27%20and");
    assert_eq!(error.position, 40, "{error}");
    let error = query_error("$filter=Name+eq+'x'+xor+1");
    assert_eq!(error.position, 20, "{error}");
    let error = query_error("$filter= true");
    assert_eq!(error.position, 8);
}

#[test]
fn paths_split_at_slashes_before_decoding_and_attach_keys_to_names() {
    assert_eq!(
        path("CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')/Microsoft.Dynamics.DataEntities.approve"),
        [
            name("CustomersV3"),
            Segment::Key(Key::Named(vec![
                ("dataAreaId".into(), string("usmf")),
                ("CustomerAccount".into(), string("US-001")),
            ])),
            name("Microsoft.Dynamics.DataEntities.approve"),
        ]
    );
    assert_eq!(path("CustomersV3/$count"), [name("CustomersV3"), Segment::Count]);
    assert_eq!(path("$metadata"), [Segment::Metadata]);
    assert_eq!(path("$batch"), [Segment::Batch]);
    assert_eq!(path(""), []);
    assert_eq!(
        path("Categories('Tablet%2FSlate')"),
        [name("Categories"), Segment::Key(Key::Single(string("Tablet/Slate")))]
    );
    assert_eq!(
        path("Customers%28%27O%27%27Neil%27%29"),
        [name("Customers"), Segment::Key(Key::Single(string("O'Neil")))]
    );
    assert_eq!(path("Categories('a+b')"), [name("Categories"), Segment::Key(Key::Single(string("a+b")))]);
    assert_eq!(
        path("Products(1)/Supplier/$ref"),
        [name("Products"), Segment::Key(Key::Single(Literal::Integer(1))), name("Supplier"), Segment::Ref]
    );
    assert_eq!(path("Orders(1)/Total/$value").last(), Some(&Segment::Value));
}

#[test]
fn bad_paths_are_refused_where_they_were_sent() {
    let cases = [
        ("Categories('Tablet/Slate')", 11),
        ("Customers('O%27Neil')", 15),
        ("Categories(ID=wrong)", 14),
        ("OrderItems(OrderID=1;ItemID='a')", 20),
        ("Products/$count/foo", 15),
        ("Categories(1)/ID/$value/foo", 23),
        ("Model.Rejection", 5),
        (".Products('foo')", 0),
        ("Products.('foo')", 8),
        ("Products//Name", 9),
        ("Products/", 9),
        ("Products/$metadata", 9),
        ("$count", 0),
        ("$entity", 0),
        ("Products(1)(2)", 11),
        ("Products(a=1,a=2)", 13),
        ("Products()", 9),
        ("Products(@p)", 9),
        ("Products('%FF')", 10),
    ];
    for (text, position) in cases {
        let error = path_error(text);
        assert_eq!(error.position, position, "{text}: {error}");
    }
}

#[test]
fn keys_take_spaces_around_separators_and_every_literal_kind() {
    assert_eq!(parse_key("'US-001'"), Ok(Key::Single(string("US-001"))));
    assert_eq!(
        parse_key("dataAreaId = 'usmf' , Id=42"),
        Ok(Key::Named(vec![("dataAreaId".into(), string("usmf")), ("Id".into(), Literal::Integer(42))]))
    );
    assert_eq!(
        parse_key("Id=01234567-89ab-cdef-0123-456789abcdef,On=2026-01-31"),
        Ok(Key::Named(vec![
            ("Id".into(), Literal::Guid("01234567-89ab-cdef-0123-456789abcdef".into())),
            ("On".into(), Literal::Date("2026-01-31".into())),
        ]))
    );
    assert_eq!(parse_key("true"), Ok(Key::Single(Literal::Boolean(true))));
    assert!(parse_key("Id=1,").is_err());
    assert!(parse_key("").is_err());
}

#[test]
fn filters_display_fully_parenthesised_prefix_forms() {
    let expr = parse_filter("Items/any(d:d/Quantity gt 100) and not (Name eq 'x' or -Price lt 3)").expect("parses");
    assert_eq!(
        expr.to_string(),
        "(and (any (prop Items) d (gt (prop d Quantity) (int 100))) (not (or (eq (prop Name) (str 'x')) (lt (neg (prop Price)) (int 3)))))"
    );
}

#[test]
fn text_longer_than_the_limit_is_refused_up_front() {
    let long = format!("Name eq '{}'", "x".repeat(MAX_TEXT_LEN));
    assert!(parse_filter(&long).expect_err("should not parse").message.contains("at most 65536"));
    assert!(parse_query(&format!("$filter={long}")).is_err());
    assert!(parse_path(&"a".repeat(MAX_TEXT_LEN + 1)).is_err());
    assert!(parse_literal(&format!("'{}'", "x".repeat(MAX_TEXT_LEN))).is_err());
    let within = format!("Name eq '{}'", "x".repeat(MAX_TEXT_LEN - 20));
    assert!(parse_filter(&within).is_ok());
}

#[test]
fn deep_nesting_is_refused_instead_of_overflowing_the_stack() {
    let nesting = format!("{}true{}", "(".repeat(30_000), ")".repeat(30_000));
    assert!(parse_filter(&nesting).expect_err("should not parse").message.contains("nests more than 100 levels"));
    for prefix in ["not ", "-", "- ", "tolower(", "Items/any(x:"] {
        let text = format!("{}x", prefix.repeat(5_000));
        let error = parse_filter(&text).expect_err("should not parse");
        assert!(error.message.contains("nests more than 100 levels"), "{prefix}: {error}");
    }
    let within = format!("{}true{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(filter(&within), "(bool true)");
    let expand = format!("{}{}", "A($expand=".repeat(200), ")".repeat(200));
    let error = parse_expand(&expand).expect_err("should not parse");
    assert_eq!(error.message, "$expand nests more than 100 levels deep");
}

#[test]
fn the_deepest_nesting_allowed_fits_the_stack_of_a_server_thread() {
    // Tokio's worker threads have 2 MiB of stack; a query at every limit at once must parse
    // there, even unoptimised.
    let filter =
        format!("{}Items/any(x:not contains(x/Name,'a')){}", "(".repeat(MAX_NESTING - 3), ")".repeat(MAX_NESTING - 3));
    let (open, close) = ("A($expand=".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
    let query = format!("$expand={open}B($filter={filter}){close}");
    let parsed = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || parse_query(&query).map(|options| options.expand.len()))
        .expect("a thread starts")
        .join()
        .expect("parsing does not overflow the stack");
    assert_eq!(parsed, Ok(1));
}

#[test]
fn long_operator_chains_are_refused_past_the_tree_depth_limit() {
    let chain = |count: usize| vec!["Id eq 1"; count].join(" or ");
    let expr = parse_filter(&chain(MAX_DEPTH / 2)).expect("a chain of 500 ors parses");
    assert!(expr.to_string().starts_with("(or (or"));
    let error = parse_filter(&chain(MAX_DEPTH + 1)).expect_err("should not parse");
    assert!(error.message.contains("nests more than 1000 levels"), "{error}");
    let sums = format!("1{}", " add 1".repeat(5_000));
    assert!(parse_filter(&sums).is_err());
}

#[test]
fn no_entry_point_panics_on_byte_soup() {
    let alphabet: Vec<&str> = vec![
        "(",
        ")",
        "'",
        "''",
        ",",
        "/",
        "$",
        "@",
        "-",
        "+",
        " ",
        "\t",
        "=",
        ";",
        ":",
        ".",
        "%",
        "%2",
        "%27",
        "%FF",
        "&",
        "*",
        "eq",
        "and",
        "not ",
        "any(",
        "all(",
        "in",
        "has",
        "x",
        "Name",
        "1",
        "2012-",
        "12:",
        "T",
        "Z",
        "e",
        "INF",
        "binary'",
        "duration'",
        "Ns.E'",
        "P",
        "é",
        "東",
        "\u{0}",
        "$count",
        "$ref",
        "$filter=",
        "$expand=",
        "(",
        "01234567-",
    ];
    // A fixed linear congruential sequence: deterministic, no dependency, enough to reach odd
    // corners of every parser.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0) % bound
    };
    for _ in 0..20_000 {
        let len = next(12);
        let text: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        let _ = parse_filter(&text);
        let _ = parse_orderby(&text);
        let _ = parse_select(&text);
        let _ = parse_expand(&text);
        let _ = parse_key(&text);
        let _ = parse_literal(&text);
        let _ = parse_path(&text);
        let _ = parse_query(&text);
    }
}
