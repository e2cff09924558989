//! The OData URL parser (`odata::syntax`) on any text: split at the first `?` into a resource
//! path and a query string (`parse_path`, `parse_query`), and whole through every other entry
//! point (`parse_filter`, `parse_orderby`, `parse_select`, `parse_expand`, `parse_key`,
//! `parse_literal`).
//!
//! Checks, besides no panic, stack overflow or hang: an error's position lies within the text;
//! and every `$filter` and `$orderby` that parses, printed back as OData with every operand in
//! parentheses, parses to the same tree (compared in `Expr`'s canonical `Display` form, where
//! `NaN` equals itself). The reprint nests deeper than the original, so only a nesting error
//! may refuse it.
#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use wharf::odata::syntax::{
    self, BinaryOp, Expr, Literal, OrderItem, SyntaxError, parse_expand, parse_filter, parse_key, parse_literal,
    parse_orderby, parse_path, parse_query, parse_select,
};

/// Appends `literal` as a URL writes it.
fn print_literal(out: &mut String, literal: &Literal) {
    match literal {
        Literal::Null => out.push_str("null"),
        Literal::Boolean(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Literal::Integer(number) => write!(out, "{number}").expect("writes to a string"),
        Literal::Decimal(text)
        | Literal::Date(text)
        | Literal::DateTimeOffset(text)
        | Literal::TimeOfDay(text)
        | Literal::Guid(text) => out.push_str(text),
        Literal::Double(number) if number.is_nan() => out.push_str("NaN"),
        Literal::Double(number) if number.is_infinite() => out.push_str(if *number < 0.0 { "-INF" } else { "INF" }),
        Literal::Double(number) => write!(out, "{number:e}").expect("writes to a string"),
        Literal::String(text) => write!(out, "'{}'", text.replace('\'', "''")).expect("writes to a string"),
        Literal::Duration(text) => write!(out, "duration'{text}'").expect("writes to a string"),
        Literal::Enum { type_name, value } => write!(out, "{type_name}'{value}'").expect("writes to a string"),
        Literal::Binary(bytes) => {
            use base64::Engine as _;
            let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            write!(out, "binary'{text}'").expect("writes to a string");
        }
    }
}

/// Appends `expr` in parentheses.
fn print_operand(out: &mut String, expr: &Expr) {
    out.push('(');
    print_expr(out, expr);
    out.push(')');
}

/// Appends `expr` as a URL writes it, every operand in parentheses so precedence cannot
/// regroup it.
fn print_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::Literal(literal) => print_literal(out, literal),
        Expr::Property(path) => out.push_str(&path.join("/")),
        Expr::Not(operand) => {
            out.push_str("not ");
            print_operand(out, operand);
        }
        Expr::Negate(operand) => {
            out.push('-');
            print_operand(out, operand);
        }
        Expr::Binary(BinaryOp::Has, left, right) => {
            print_operand(out, left);
            out.push_str(" has ");
            print_expr(out, right);
        }
        Expr::Binary(operator, left, right) => {
            print_operand(out, left);
            write!(out, " {} ", operator.keyword()).expect("writes to a string");
            print_operand(out, right);
        }
        Expr::In(operand, items) => {
            print_operand(out, operand);
            out.push_str(" in (");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                print_operand(out, item);
            }
            out.push(')');
        }
        Expr::Call(name, arguments) => {
            out.push_str(name);
            out.push('(');
            for (index, argument) in arguments.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                print_operand(out, argument);
            }
            out.push(')');
        }
        Expr::Lambda { path, kind, variable, predicate } => {
            write!(out, "{}/{kind}(", path.join("/")).expect("writes to a string");
            if let (Some(variable), Some(predicate)) = (variable, predicate) {
                write!(out, "{variable}:").expect("writes to a string");
                print_operand(out, predicate);
            }
            out.push(')');
        }
    }
}

/// Whether the reprint of a deeply nested expression was refused for nesting alone.
fn refused_for_nesting(error: &SyntaxError) -> bool {
    error.message.contains("nests more than")
}

fn check_filter_reprints(expr: &Expr) {
    let mut printed = String::new();
    print_expr(&mut printed, expr);
    match parse_filter(&printed) {
        Ok(reparsed) => {
            assert_eq!(reparsed.to_string(), expr.to_string(), "the reprint {printed:?} parses differently")
        }
        Err(error) if refused_for_nesting(&error) || printed.len() > syntax::MAX_TEXT_LEN => {}
        Err(error) => panic!("the reprint {printed:?} of {expr} does not parse: {error}"),
    }
}

fn check_orderby_reprints(items: &[OrderItem]) {
    if items.is_empty() {
        return;
    }
    let mut printed = String::new();
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            printed.push(',');
        }
        print_operand(&mut printed, &item.expr);
        printed.push_str(if item.descending { " desc" } else { " asc" });
    }
    let shown = |items: &[OrderItem]| -> Vec<String> {
        items.iter().map(|item| format!("{} {}", item.expr, item.descending)).collect()
    };
    match parse_orderby(&printed) {
        Ok(reparsed) => assert_eq!(shown(&reparsed), shown(items), "the reprint {printed:?} parses differently"),
        Err(error) if refused_for_nesting(&error) || printed.len() > syntax::MAX_TEXT_LEN => {}
        Err(error) => panic!("the reprint {printed:?} does not parse: {error}"),
    }
}

/// Checks that an error's position lies within the text it is about.
fn check_position<T>(result: &Result<T, SyntaxError>, text: &str, entry_point: &str) {
    if let Err(error) = result {
        assert!(
            error.position <= text.len(),
            "{entry_point}: position {} past the end of {} bytes ({})",
            error.position,
            text.len(),
            error.message
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = text.split_once('?').unwrap_or((&text, ""));
    check_position(&parse_path(path), path, "parse_path");
    let options = parse_query(query);
    check_position(&options, query, "parse_query");
    if let Ok(options) = &options {
        if let Some(filter) = &options.filter {
            check_filter_reprints(filter);
        }
        check_orderby_reprints(&options.orderby);
    }

    let filter = parse_filter(&text);
    check_position(&filter, &text, "parse_filter");
    if let Ok(filter) = &filter {
        check_filter_reprints(filter);
    }
    let orderby = parse_orderby(&text);
    check_position(&orderby, &text, "parse_orderby");
    if let Ok(orderby) = &orderby {
        check_orderby_reprints(orderby);
    }
    check_position(&parse_select(&text), &text, "parse_select");
    check_position(&parse_expand(&text), &text, "parse_expand");
    check_position(&parse_key(&text), &text, "parse_key");
    check_position(&parse_literal(&text), &text, "parse_literal");
});
