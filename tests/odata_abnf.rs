//! The OData URL parser against the OASIS ABNF test cases (`odata-abnf-testcases.xml`, as
//! `tests/external/install.sh` installs it). Every case whose rule has an entry point in
//! `wharf::odata::syntax` runs: a positive case must parse, a negative one (`FailAt`) must
//! fail. Cases that exercise what Wharf does not serve are skipped by the rules in
//! [`skip_reason`], each saying why; none is skipped by name. The test prints what ran, passed
//! and was skipped per rule, and how many negative cases failed exactly at `FailAt`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use percent_encoding::percent_decode_str;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use wharf::odata::syntax::{Literal, QueryOptions, SyntaxError, parse_filter, parse_literal, parse_path, parse_query};

/// One `<TestCase>`.
#[derive(Debug, Default)]
struct Case {
    name: String,
    rule: String,
    input: String,
    /// Where a negative case must fail; 0 means "the input as a whole".
    fail_at: Option<usize>,
}

/// The `<Constraint>` elements: for a rule of the model (`entitySetName`, `primitiveFunction`,
/// `complexProperty`, …), the identifiers that play that role in the cases.
type Constraints = HashMap<String, Vec<String>>;

/// How a rule is checked.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// `parse_filter`.
    Expression,
    /// `parse_path`.
    ResourcePath,
    /// `parse_path` before the `?`, `parse_query` after it.
    RelativeUri,
    /// `parse_query`.
    Query,
    /// `parse_query`, and the input must be exactly one option of this kind.
    SingleOption(OptionKind),
    /// `parse_literal` on the percent-decoded input, which must give this kind of literal.
    Literal(LiteralKind),
}

#[derive(Debug, Clone, Copy)]
enum OptionKind {
    Filter,
    OrderBy,
    Select,
    Expand,
    SkipToken,
    Custom,
}

#[derive(Debug, Clone, Copy)]
enum LiteralKind {
    Any,
    String,
    Binary,
    Date,
    DateTimeOffset,
    TimeOfDay,
    Duration,
    Guid,
    Enum,
    Boolean,
    Null,
    Integer,
    Number,
}

/// The entry point for `rule` (ABNF rule names are case-insensitive, and one case writes
/// `boolcommonExpr`), or why the rule has none.
fn entry(rule: &str) -> Result<Entry, &'static str> {
    let entry = match rule.to_ascii_lowercase().as_str() {
        "commonexpr" | "boolcommonexpr" | "firstmemberexpr" | "isofexpr" | "notexpr" => Entry::Expression,
        "resourcepath" => Entry::ResourcePath,
        "odatarelativeuri" => Entry::RelativeUri,
        "queryoptions" => Entry::Query,
        "filter" => Entry::SingleOption(OptionKind::Filter),
        "orderby" => Entry::SingleOption(OptionKind::OrderBy),
        "select" => Entry::SingleOption(OptionKind::Select),
        "expand" => Entry::SingleOption(OptionKind::Expand),
        "skiptoken" => Entry::SingleOption(OptionKind::SkipToken),
        "customqueryoption" => Entry::SingleOption(OptionKind::Custom),
        "primitiveliteral" => Entry::Literal(LiteralKind::Any),
        "string" => Entry::Literal(LiteralKind::String),
        "binary" => Entry::Literal(LiteralKind::Binary),
        "datevalue" => Entry::Literal(LiteralKind::Date),
        "datetimeoffsetvalue" => Entry::Literal(LiteralKind::DateTimeOffset),
        "timeofdayvalue" => Entry::Literal(LiteralKind::TimeOfDay),
        "duration" | "durationvalue" => Entry::Literal(LiteralKind::Duration),
        "guidvalue" => Entry::Literal(LiteralKind::Guid),
        "enum" => Entry::Literal(LiteralKind::Enum),
        "booleanvalue" => Entry::Literal(LiteralKind::Boolean),
        "nullvalue" => Entry::Literal(LiteralKind::Null),
        "bytevalue" | "sbytevalue" | "int16value" | "int32value" | "int64value" => Entry::Literal(LiteralKind::Integer),
        "decimalvalue" | "doublevalue" | "singlevalue" => Entry::Literal(LiteralKind::Number),
        "odatauri" | "dummystartrule" => {
            return Err("absolute URLs: the service root is configuration, and what follows it is odataRelativeUri");
        }
        "header" | "prefer" | "preference" | "maxpagesizepreference" | "includeannotationspreference" => {
            return Err("headers and preferences are read by the HTTP layer, not the URL parser");
        }
        "primitivevalue" => return Err("payload values arrive as JSON, not in the ABNF's primitiveValue form"),
        _ => return Err("a sub-rule: covered through the rules that contain it"),
    };
    Ok(entry)
}

/// Why a case is not applicable to Wharf, or `None` if it must run. The rules go from the
/// broadest to the narrowest; the first that matches names the reason.
fn skip_reason(case: &Case, constraints: &Constraints) -> Option<&'static str> {
    let input = case.input.as_str();
    let lower = input.to_ascii_lowercase();
    let negative = case.fail_at.is_some();
    let names = identifiers(input);
    let constrained_as = |roles: &dyn Fn(&str) -> bool, names: &[&str]| {
        constraints
            .iter()
            .filter(|(rule, _)| roles(rule))
            .flat_map(|(_, matches)| matches)
            .any(|m| names.contains(&m.as_str()))
    };
    if lower.contains("geography'") || lower.contains("geometry'") || lower.contains("geo.") {
        return Some("geography and geometry are not served");
    }
    if has_parameter_alias(input) {
        return Some("parameter aliases (@name) are refused: clients write values in place");
    }
    if input.contains(['{', '[']) || lower.contains("%7b") || lower.contains("%5b") {
        return Some("complex and collection literals (JSON in URLs) are not served");
    }
    if constrained_as(&|rule| rule.contains("Function"), &names) {
        return Some("custom functions and function imports are not served (D365 entities offer actions)");
    }
    if ["$entity", "$all", "$crossjoin"].iter().any(|resource| input.starts_with(resource))
        || input.contains("$root")
        || input.contains('#')
    {
        return Some("$entity, $all, $crossjoin, $root and context URLs are not served");
    }
    if follows_with_parenthesis(input, constraints, "NavigationProperty")
        && matches!(entry(&case.rule), Ok(Entry::Expression))
    {
        return Some("key predicates inside expressions (4.01) are not served");
    }
    // Type names count only where they are qualified (`Model.Customer`): `Customer` alone is
    // also a navigation property in these cases.
    let property_roles = ["complexProperty", "complexColProperty", "streamProperty"];
    let type_roles = ["entityTypeName", "complexTypeName"];
    let qualified = qualified_names(input);
    if negative
        && (constrained_as(&|rule| property_roles.contains(&rule), &names)
            || constrained_as(&|rule| type_roles.contains(&rule), &qualified))
    {
        return Some(
            "the failure depends on the model (whether a complex or stream property takes $value, or a type may \
             be cast to twice), which a URL parser does not have",
        );
    }
    let query = lower.split_once('?').map_or(lower.as_str(), |(_, query)| query);
    let unread = ["$search", "$apply", "$compute", "$levels"];
    if negative && query.split('&').any(|option| unread.iter().any(|name| option.starts_with(name))) {
        return Some("the value of an unsupported option is not read: such a request answers 501 whatever it holds");
    }
    if !negative && repeats_a_system_option(input) {
        return Some("a repeated system query option is refused, as OData 4.01 Part 2 §5 requires");
    }
    None
}

/// The identifiers in `input`, for comparing with the constraints.
fn identifiers(input: &str) -> Vec<&str> {
    input.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|word| !word.is_empty()).collect()
}

/// Whether `@` starts a name (`@word`), as a parameter alias does, rather than sitting in a
/// skip token or a string.
fn has_parameter_alias(input: &str) -> bool {
    input.match_indices('@').any(|(index, _)| {
        let before = input[..index].chars().next_back();
        let after = input[index + 1..].chars().next();
        before.is_none_or(|c| "(=,&? ".contains(c)) && after.is_some_and(|c| c.is_alphabetic() || c == '_')
    })
}

/// The last segments of namespace-qualified names in `input`: `Customer` in `Model.Customer`.
fn qualified_names(input: &str) -> Vec<&str> {
    input
        .match_indices('.')
        .filter(|(index, _)| input[..*index].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(index, _)| {
            let rest = &input[index + 1..];
            &rest[..rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())]
        })
        .collect()
}

/// Whether an identifier that the constraints give a role containing `role` is followed by `(`.
fn follows_with_parenthesis(input: &str, constraints: &Constraints, role: &str) -> bool {
    constraints.iter().filter(|(rule, _)| rule.contains(role)).flat_map(|(_, matches)| matches).any(|name| {
        input
            .match_indices(&format!("{name}("))
            .any(|(index, _)| !input[..index].ends_with(|c: char| c.is_alphanumeric()))
    })
}

/// Whether a query names the same system option twice.
fn repeats_a_system_option(input: &str) -> bool {
    let query = input.split_once('?').map_or(input, |(_, query)| query);
    let mut names: Vec<String> = query
        .split('&')
        .filter(|option| option.starts_with('$'))
        .map(|option| option.split('=').next().unwrap_or(option).to_ascii_lowercase())
        .collect();
    let count = names.len();
    names.sort();
    names.dedup();
    names.len() != count
}

/// Runs a case through `entry`: `Ok` when the input is accepted as the rule says.
fn run(entry: Entry, input: &str) -> Result<(), SyntaxError> {
    match entry {
        Entry::Expression => parse_filter(input).map(drop),
        Entry::ResourcePath => parse_path(input).map(drop),
        Entry::RelativeUri => {
            let (path, query) = input.split_once('?').unwrap_or((input, ""));
            parse_path(path)?;
            parse_query(query)
                .map(drop)
                .map_err(|error| SyntaxError { position: error.position + path.len() + 1, ..error })
        }
        Entry::Query => parse_query(input).map(drop),
        Entry::SingleOption(kind) => {
            let options = parse_query(input)?;
            let rest = match kind {
                OptionKind::Filter if options.filter.is_some() => QueryOptions { filter: None, ..options },
                OptionKind::OrderBy if !options.orderby.is_empty() => QueryOptions { orderby: Vec::new(), ..options },
                OptionKind::Select if !options.select.is_empty() => QueryOptions { select: Vec::new(), ..options },
                OptionKind::Expand if !options.expand.is_empty() => QueryOptions { expand: Vec::new(), ..options },
                OptionKind::SkipToken if options.skiptoken.is_some() => QueryOptions { skiptoken: None, ..options },
                OptionKind::Custom if options.custom.len() == 1 => QueryOptions { custom: Vec::new(), ..options },
                _ => options,
            };
            if rest == QueryOptions::default() {
                Ok(())
            } else {
                Err(SyntaxError { message: format!("not exactly one {kind:?} option: {rest:?}"), position: 0 })
            }
        }
        Entry::Literal(kind) => {
            let decoded = percent_decode_str(input).decode_utf8_lossy();
            let literal = parse_literal(&decoded)?;
            if literal_is(kind, &literal) {
                Ok(())
            } else {
                Err(SyntaxError { message: format!("parsed as {literal}, not as {kind:?}"), position: 0 })
            }
        }
    }
}

fn literal_is(kind: LiteralKind, literal: &Literal) -> bool {
    matches!(
        (kind, literal),
        (LiteralKind::Any, _)
            | (LiteralKind::String, Literal::String(_))
            | (LiteralKind::Binary, Literal::Binary(_))
            | (LiteralKind::Date, Literal::Date(_))
            | (LiteralKind::DateTimeOffset, Literal::DateTimeOffset(_))
            | (LiteralKind::TimeOfDay, Literal::TimeOfDay(_))
            | (LiteralKind::Duration, Literal::Duration(_))
            | (LiteralKind::Guid, Literal::Guid(_))
            | (LiteralKind::Enum, Literal::Enum { .. })
            | (LiteralKind::Boolean, Literal::Boolean(_))
            | (LiteralKind::Null, Literal::Null)
            | (LiteralKind::Integer, Literal::Integer(_))
            | (LiteralKind::Number, Literal::Integer(_) | Literal::Decimal(_) | Literal::Double(_))
    )
}

/// Reads the test cases and constraints from the XML file.
fn read_cases(path: &Path) -> (Vec<Case>, Constraints) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(false);
    let mut cases = Vec::new();
    let mut constraints = Constraints::new();
    let mut case: Option<Case> = None;
    let mut constraint_rule: Option<String> = None;
    let mut text_target: Option<String> = None;
    loop {
        let event = reader.read_event().unwrap_or_else(|error| panic!("{} is not XML: {error}", path.display()));
        match event {
            Event::Start(start) => match start.local_name().as_ref() {
                "TestCase" => {
                    let fail_at = attribute(&start, "FailAt").map(|at| at.parse().expect("FailAt is a number"));
                    case = Some(Case {
                        name: attribute(&start, "Name").unwrap_or_default(),
                        rule: attribute(&start, "Rule").expect("a TestCase has a Rule"),
                        input: String::new(),
                        fail_at,
                    });
                }
                "Constraint" => constraint_rule = attribute(&start, "Rule"),
                "Input" | "Match" => text_target = Some(String::new()),
                _ => {}
            },
            Event::Text(content) => {
                if let Some(target) = &mut text_target {
                    target.push_str(&content.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(target) = &mut text_target {
                    match reference.resolve_char_ref().expect("a valid character reference") {
                        Some(character) => target.push(character),
                        None => target.push_str(resolve_xml_entity(&reference).expect("a predefined entity")),
                    }
                }
            }
            Event::End(end) => match end.local_name().as_ref() {
                "Input" => {
                    if let (Some(case), Some(input)) = (&mut case, text_target.take()) {
                        case.input = input;
                    }
                }
                "Match" => {
                    if let (Some(rule), Some(matched)) = (&constraint_rule, text_target.take()) {
                        constraints.entry(rule.clone()).or_default().push(matched);
                    }
                }
                "TestCase" => cases.extend(case.take()),
                "Constraint" => constraint_rule = None,
                _ => {}
            },
            Event::Eof => return (cases, constraints),
            _ => {}
        }
    }
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    let attribute = start.try_get_attribute(name).expect("well-formed attributes")?;
    Some(attribute.normalized_value(XmlVersion::Implicit1_0).expect("a readable attribute").into_owned())
}

/// Counts for one rule.
#[derive(Debug, Default)]
struct Tally {
    ran: usize,
    passed: usize,
    skipped: usize,
}

#[test]
fn url_parser_passes_every_applicable_oasis_abnf_test_case() {
    let file = wharf_tests::external().join("odata-v4-parser/test/odata-abnf-testcases.xml");
    let (cases, constraints) = read_cases(&file);
    assert!(cases.len() > 500, "expected the 535 OASIS cases, found {}", cases.len());
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut negatives, mut at_fail_at) = (0, 0);
    for case in &cases {
        let tally = tallies.entry(case.rule.clone()).or_default();
        let applicable = entry(&case.rule).and_then(|entry| skip_reason(case, &constraints).map_or(Ok(entry), Err));
        let entry = match applicable {
            Ok(entry) => entry,
            Err(reason) => {
                tally.skipped += 1;
                *reasons.entry(reason).or_default() += 1;
                continue;
            }
        };
        tally.ran += 1;
        let outcome = run(entry, &case.input);
        match (case.fail_at, outcome) {
            (None, Ok(())) => tally.passed += 1,
            (Some(fail_at), Err(error)) => {
                tally.passed += 1;
                if fail_at > 0 && !case.input.contains('%') {
                    negatives += 1;
                    at_fail_at += usize::from(error.position == fail_at);
                }
            }
            (None, Err(error)) => {
                failures.push(format!("{} [{}] {:?}: refused: {error}", case.name, case.rule, case.input))
            }
            (Some(fail_at), Ok(())) => {
                failures.push(format!(
                    "{} [{}] {:?}: accepted, should fail at {fail_at}",
                    case.name, case.rule, case.input
                ));
            }
        }
    }
    let mut report = format!("{:<32} {:>5} {:>7} {:>8}\n", "rule", "ran", "passed", "skipped");
    for (rule, tally) in &tallies {
        let _ = writeln!(report, "{rule:<32} {:>5} {:>7} {:>8}", tally.ran, tally.passed, tally.skipped);
    }
    let ran: usize = tallies.values().map(|tally| tally.ran).sum();
    let passed: usize = tallies.values().map(|tally| tally.passed).sum();
    let skipped: usize = tallies.values().map(|tally| tally.skipped).sum();
    let _ = writeln!(report, "{:<32} {ran:>5} {passed:>7} {skipped:>8}", "total");
    let _ = writeln!(report, "negative cases failing exactly at FailAt: {at_fail_at} of {negatives}");
    let _ = writeln!(report, "skipped, by reason:");
    for (reason, count) in &reasons {
        let _ = writeln!(report, "  {count:>4}  {reason}");
    }
    println!("{report}");
    assert_eq!(ran + skipped, cases.len());
    assert!(ran > 250, "too few cases ran: {ran}\n{report}");
    assert!(failures.is_empty(), "{} applicable cases failed:\n{}\n\n{report}", failures.len(), failures.join("\n"));
}
