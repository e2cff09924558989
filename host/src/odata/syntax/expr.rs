//! The common expression language of `$filter` and `$orderby`: a precedence-climbing parser
//! over the levels of OData Part 2 §5.1.1.15, lowest first — `or`; `and`; `eq ne`;
//! `gt ge lt le`; `add sub`; `mul div divby mod`; the unary `-` and `not`; and the primary
//! expressions with `has` and `in`, which bind tightest. Binary operators associate to the
//! left. Operators, function names and `asc`/`desc` are case-insensitive (4.01).

use super::cursor::{Cursor, is_identifier_char};
use super::literal::literal;
use super::{BinaryOp, Expr, Literal, MAX_DEPTH, MAX_NESTING, OrderItem, SyntaxError, check_length};

/// The binary operators of each precedence level, lowest first. `has` is not here: it binds
/// like a primary expression (see [`Parser::postfix`]).
const LEVELS: [&[BinaryOp]; 6] = [
    &[BinaryOp::Or],
    &[BinaryOp::And],
    &[BinaryOp::Eq, BinaryOp::Ne],
    &[BinaryOp::Gt, BinaryOp::Ge, BinaryOp::Lt, BinaryOp::Le],
    &[BinaryOp::Add, BinaryOp::Sub],
    &[BinaryOp::Mul, BinaryOp::Div, BinaryOp::DivBy, BinaryOp::Mod],
];

/// Every binary operator, to recognise one by its keyword.
const OPERATORS: [BinaryOp; 15] = [
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Has,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::DivBy,
    BinaryOp::Mod,
];

/// The built-in functions (lowercase) with the fewest and most arguments each takes.
const FUNCTIONS: [(&str, usize, usize); 30] = [
    ("contains", 2, 2),
    ("startswith", 2, 2),
    ("endswith", 2, 2),
    ("length", 1, 1),
    ("indexof", 2, 2),
    ("substring", 2, 3),
    ("tolower", 1, 1),
    ("toupper", 1, 1),
    ("trim", 1, 1),
    ("concat", 2, 2),
    ("matchespattern", 2, 2),
    ("year", 1, 1),
    ("month", 1, 1),
    ("day", 1, 1),
    ("hour", 1, 1),
    ("minute", 1, 1),
    ("second", 1, 1),
    ("fractionalseconds", 1, 1),
    ("totalseconds", 1, 1),
    ("date", 1, 1),
    ("time", 1, 1),
    ("totaloffsetminutes", 1, 1),
    ("now", 0, 0),
    ("maxdatetime", 0, 0),
    ("mindatetime", 0, 0),
    ("round", 1, 1),
    ("floor", 1, 1),
    ("ceiling", 1, 1),
    ("cast", 1, 2),
    ("isof", 1, 2),
];

/// Parses a `$filter` value (the ABNF's `boolCommonExpr`, or any `commonExpr`: types are the
/// query translator's business). The text is already percent-decoded; it may not start or
/// end with whitespace. Parameter aliases (`@p`), JSON literals, custom functions and key
/// predicates inside expressions are refused.
pub fn parse_filter(text: &str) -> Result<Expr, SyntaxError> {
    check_length(text, "the expression")?;
    let mut parser = Parser::new(text);
    parser.refuse_leading_space()?;
    let node = parser.expression()?;
    parser.expect_end("an operator such as eq, and or add, or the end of the expression")?;
    Ok(node.expr)
}

/// Parses an `$orderby` value: comma-separated expressions, each optionally followed by
/// whitespace and `asc` or `desc`.
pub fn parse_orderby(text: &str) -> Result<Vec<OrderItem>, SyntaxError> {
    check_length(text, "$orderby")?;
    let mut parser = Parser::new(text);
    parser.refuse_leading_space()?;
    let mut items = Vec::new();
    loop {
        let expr = parser.expression()?.expr;
        let mut descending = false;
        let before_direction = parser.cursor.pos();
        if parser.cursor.skip_whitespace() > 0 {
            if parser.cursor.at_keyword("asc") {
                parser.cursor.advance("asc".len());
            } else if parser.cursor.at_keyword("desc") {
                parser.cursor.advance("desc".len());
                descending = true;
            } else {
                parser.cursor.set_pos(before_direction);
            }
        }
        items.push(OrderItem { expr, descending });
        let before_comma = parser.cursor.pos();
        parser.cursor.skip_whitespace();
        if parser.cursor.eat(',') {
            parser.cursor.skip_whitespace();
            continue;
        }
        parser.cursor.set_pos(before_comma);
        parser.expect_end("`,`, asc, desc or the end of $orderby")?;
        return Ok(items);
    }
}

/// An expression with the depth of its tree, so depth is checked as the tree is built.
#[derive(Debug)]
struct Node {
    expr: Expr,
    depth: usize,
}

impl Node {
    fn leaf(expr: Expr) -> Self {
        Node { expr, depth: 1 }
    }
}

/// The parser's state: where it is, and how many levels of parentheses, calls and unary
/// operators it is inside.
struct Parser<'a> {
    cursor: Cursor<'a>,
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { cursor: Cursor::new(text), nesting: 0 }
    }

    /// The ABNF has no whitespace before an expression; `$filter= x` is a client bug worth
    /// naming.
    fn refuse_leading_space(&self) -> Result<(), SyntaxError> {
        match self.cursor.peek() {
            Some(' ' | '\t') => Err(self.cursor.error("unexpected space at the start of the expression")),
            _ => Ok(()),
        }
    }

    /// Fails unless the text is finished; `expected` says what could have come next.
    fn expect_end(&mut self, expected: &str) -> Result<(), SyntaxError> {
        if self.cursor.at_end() {
            return Ok(());
        }
        let position = self.cursor.pos();
        self.cursor.skip_whitespace();
        if self.cursor.at_end() {
            return Err(self.cursor.error_at(position, "unexpected space at the end of the expression"));
        }
        Err(self.cursor.error(format!("expected {expected}, found {}", self.cursor.found_token())))
    }

    fn expression(&mut self) -> Result<Node, SyntaxError> {
        self.binary(0)
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    fn nested(&mut self, parse: fn(&mut Self) -> Result<Node, SyntaxError>) -> Result<Node, SyntaxError> {
        if self.nesting >= MAX_NESTING {
            return Err(self.cursor.error(format!("the expression nests more than {MAX_NESTING} levels deep")));
        }
        self.nesting += 1;
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    /// Makes a node over children whose deepest is `children_depth` deep, refusing trees
    /// deeper than [`MAX_DEPTH`]; `position` is the operator's, for the error.
    fn node(&self, position: usize, children_depth: usize, expr: Expr) -> Result<Node, SyntaxError> {
        let depth = children_depth + 1;
        if depth > MAX_DEPTH {
            return Err(self
                .cursor
                .error_at(position, format!("the expression nests more than {MAX_DEPTH} levels deep")));
        }
        Ok(Node { expr, depth })
    }

    /// Parses operands joined by operators of `LEVELS[min_level..]`: precedence climbing, so
    /// the parser recurses once per precedence level actually used, not once per level.
    fn binary(&mut self, min_level: usize) -> Result<Node, SyntaxError> {
        let mut left = self.unary()?;
        while let Some((operator, level, position)) = self.operator(min_level)? {
            let right = self.binary(level + 1)?;
            let depth = left.depth.max(right.depth);
            left = self.node(position, depth, Expr::Binary(operator, Box::new(left.expr), Box::new(right.expr)))?;
        }
        Ok(left)
    }

    /// Reads whitespace, an operator of `LEVELS[min_level..]` and whitespace, returning the
    /// operator and its level; or moves nothing and returns `None`.
    fn operator(&mut self, min_level: usize) -> Result<Option<(BinaryOp, usize, usize)>, SyntaxError> {
        let saved = self.cursor.pos();
        if self.cursor.skip_whitespace() == 0 {
            return Ok(None);
        }
        let position = self.cursor.pos();
        let found = LEVELS.iter().enumerate().skip(min_level).find_map(|(level, operators)| {
            operators
                .iter()
                .find(|operator| self.cursor.at_keyword(operator.keyword()))
                .map(|&operator| (operator, level))
        });
        match found {
            Some((operator, level)) => {
                self.cursor.advance(operator.keyword().len());
                self.require_space_after(operator.keyword())?;
                Ok(Some((operator, level, position)))
            }
            None => {
                self.cursor.set_pos(saved);
                Ok(None)
            }
        }
    }

    /// Operators are separated from their operands by whitespace (the ABNF's `RWS`).
    fn require_space_after(&mut self, keyword: &str) -> Result<(), SyntaxError> {
        if self.cursor.skip_whitespace() == 0 {
            return Err(self
                .cursor
                .error(format!("expected a space after `{keyword}`, found {}", self.cursor.found())));
        }
        Ok(())
    }

    /// `-e`, `not e`, or a primary expression with its `has` and `in` operators.
    fn unary(&mut self) -> Result<Node, SyntaxError> {
        let start = self.cursor.pos();
        if self.cursor.peek() == Some('-') {
            if let Some(literal) = literal(&mut self.cursor)? {
                return self.postfix(Node::leaf(Expr::Literal(literal)));
            }
            self.cursor.advance(1);
            self.cursor.skip_whitespace();
            let operand = self.nested(Self::unary)?;
            return self.node(start, operand.depth, Expr::Negate(Box::new(operand.expr)));
        }
        if self.cursor.at_keyword("not") && matches!(self.cursor.rest()[3..].chars().next(), Some(' ' | '\t')) {
            self.cursor.advance("not".len());
            self.cursor.skip_whitespace();
            let operand = self.nested(Self::unary)?;
            return self.node(start, operand.depth, Expr::Not(Box::new(operand.expr)));
        }
        let primary = self.primary()?;
        self.postfix(primary)
    }

    /// A literal, a parenthesised expression, a function call or a member path.
    fn primary(&mut self) -> Result<Node, SyntaxError> {
        let start = self.cursor.pos();
        match self.cursor.peek() {
            Some('(') => return self.parenthesised(),
            Some('$') => return self.member_path(start),
            Some('@') => {
                return Err(self
                    .cursor
                    .error("parameter aliases such as @p are not supported; write the value in place"));
            }
            Some('{' | '[') => {
                return Err(self.cursor.error("JSON objects and arrays are not supported in expressions"));
            }
            _ => {}
        }
        if let Some(literal) = literal(&mut self.cursor)? {
            return Ok(Node::leaf(Expr::Literal(literal)));
        }
        if self.cursor.identifier_len() == 0 {
            return Err(self.cursor.error(format!("expected an expression, found {}", self.cursor.found())));
        }
        let len = self.cursor.qualified_name_len();
        if len > 0 && self.cursor.rest()[len..].starts_with('(') {
            return self.call(start, len);
        }
        self.member_path(start)
    }

    /// `( e )`; the parentheses only group, so they leave no node.
    fn parenthesised(&mut self) -> Result<Node, SyntaxError> {
        let open = self.cursor.pos();
        self.cursor.advance(1);
        self.cursor.skip_whitespace();
        let inner = self.nested(Self::expression)?;
        self.cursor.skip_whitespace();
        if self.cursor.peek() == Some(',') {
            return Err(self.cursor.error("a parenthesised list of values is only allowed after `in`"));
        }
        self.cursor.expect(')', &format!("to close the parenthesis at position {open}"))?;
        Ok(inner)
    }

    /// `name(arguments)` for a built-in function whose name, `len` bytes, is at the cursor.
    fn call(&mut self, start: usize, len: usize) -> Result<Node, SyntaxError> {
        let written = &self.cursor.rest()[..len];
        let name = written.to_ascii_lowercase();
        let Some(&(_, fewest, most)) = FUNCTIONS.iter().find(|(function, ..)| *function == name) else {
            return Err(self.cursor.error(not_a_function(written, &name)));
        };
        self.cursor.advance(len + 1);
        self.cursor.skip_whitespace();
        let mut arguments = Vec::new();
        let mut depth = 0;
        if !self.cursor.eat(')') {
            loop {
                let argument = self.nested(Self::expression)?;
                depth = depth.max(argument.depth);
                arguments.push(argument.expr);
                self.cursor.skip_whitespace();
                if self.cursor.eat(',') {
                    self.cursor.skip_whitespace();
                    continue;
                }
                self.cursor.expect(')', &format!("to close the arguments of {name}"))?;
                break;
            }
        }
        if !(fewest..=most).contains(&arguments.len()) {
            let expected = match (fewest, most) {
                (0, 0) => "no arguments".to_owned(),
                (1, 1) => "one argument".to_owned(),
                (fewest, most) if fewest == most => format!("{fewest} arguments"),
                (fewest, most) => format!("{fewest} or {most} arguments"),
            };
            return Err(self.cursor.error_at(start, format!("{name} takes {expected}, not {}", arguments.len())));
        }
        self.node(start, depth, Expr::Call(name, arguments))
    }

    /// `Name`, `Navigation/Name`, `$it/Name`, `Items/$count` or `Items/any(x: …)`.
    fn member_path(&mut self, start: usize) -> Result<Node, SyntaxError> {
        let mut segments = Vec::new();
        if self.cursor.eat('$') {
            match self.cursor.identifier()? {
                Some(word @ ("it" | "this")) => segments.push(format!("${word}")),
                Some("root") => return Err(self.cursor.error_at(start, "$root is not supported in expressions")),
                _ => return Err(self.cursor.error_at(start, "expected $it or $this")),
            }
        } else {
            let Some(name) = self.cursor.qualified_name()? else {
                return Err(self.cursor.error(format!("expected a property name, found {}", self.cursor.found())));
            };
            segments.push(name.to_owned());
        }
        while self.cursor.eat('/') {
            // `$count` ends the path, but `$countries` is no `$count`.
            if self.cursor.rest().starts_with("$count")
                && !self.cursor.rest()["$count".len()..].starts_with(is_identifier_char)
            {
                self.cursor.advance("$count".len());
                segments.push("$count".to_owned());
                if self.cursor.peek() == Some('/') {
                    return Err(self.cursor.error("nothing may follow $count in a path"));
                }
                break;
            }
            let len = self.cursor.identifier_len();
            let is_lambda = self.cursor.at_keyword("any") || self.cursor.at_keyword("all");
            if is_lambda && self.cursor.rest()[len..].starts_with('(') {
                return self.lambda(start, segments);
            }
            match self.cursor.qualified_name()? {
                Some(name) => segments.push(name.to_owned()),
                None => {
                    return Err(self
                        .cursor
                        .error(format!("expected a property name after `/`, found {}", self.cursor.found())));
                }
            }
        }
        if self.cursor.peek() == Some('(') {
            return Err(self.cursor.error(
                "unexpected `(` after a property path: key predicates and functions inside expressions are not \
                 supported",
            ));
        }
        Ok(Node::leaf(Expr::Property(segments)))
    }

    /// `any(…)` or `all(…)` after the collection `path`; the cursor is on the keyword.
    fn lambda(&mut self, start: usize, path: Vec<String>) -> Result<Node, SyntaxError> {
        let kind = self.cursor.rest()[..3].to_ascii_lowercase();
        self.cursor.advance("any(".len());
        self.cursor.skip_whitespace();
        if self.cursor.peek() == Some(')') {
            if kind == "all" {
                return Err(self
                    .cursor
                    .error("all needs a variable and a condition, as in Items/all(x: x/Quantity gt 0)"));
            }
            self.cursor.advance(1);
            return Ok(Node::leaf(Expr::Lambda { path, kind, variable: None, predicate: None }));
        }
        let Some(variable) = self.cursor.identifier()? else {
            return Err(self
                .cursor
                .error(format!("expected the name of the lambda variable, found {}", self.cursor.found())));
        };
        let variable = variable.to_owned();
        self.cursor.skip_whitespace();
        self.cursor.expect(':', "after the lambda variable")?;
        self.cursor.skip_whitespace();
        let predicate = self.nested(Self::expression)?;
        self.cursor.skip_whitespace();
        self.cursor.expect(')', &format!("to close {kind}"))?;
        let expr = Expr::Lambda { path, kind, variable: Some(variable), predicate: Some(Box::new(predicate.expr)) };
        self.node(start, predicate.depth, expr)
    }

    /// The `has` and `in` operators after a primary expression, which bind tighter than any
    /// other operator.
    fn postfix(&mut self, mut node: Node) -> Result<Node, SyntaxError> {
        loop {
            let saved = self.cursor.pos();
            if self.cursor.skip_whitespace() == 0 {
                return Ok(node);
            }
            let position = self.cursor.pos();
            if self.cursor.at_keyword("has") {
                self.cursor.advance("has".len());
                self.require_space_after("has")?;
                let value_position = self.cursor.pos();
                let Some(value @ Literal::Enum { .. }) = literal(&mut self.cursor)? else {
                    return Err(self
                        .cursor
                        .error_at(value_position, "has takes an enumeration value such as Namespace.Type'Member'"));
                };
                let expr = Expr::Binary(BinaryOp::Has, Box::new(node.expr), Box::new(Expr::Literal(value)));
                node = self.node(position, node.depth, expr)?;
            } else if self.cursor.at_keyword("in") {
                self.cursor.advance("in".len());
                self.require_space_after("in")?;
                node = self.list(position, node)?;
            } else {
                self.cursor.set_pos(saved);
                return Ok(node);
            }
        }
    }

    /// The `(a, b, …)` after `operand in`.
    fn list(&mut self, position: usize, operand: Node) -> Result<Node, SyntaxError> {
        if self.cursor.peek() != Some('(') {
            return Err(self
                .cursor
                .error(format!("expected a parenthesised list of values after `in`, found {}", self.cursor.found())));
        }
        self.cursor.advance(1);
        self.cursor.skip_whitespace();
        if self.cursor.peek() == Some(')') {
            return Err(self.cursor.error("the list after `in` needs at least one value"));
        }
        let mut depth = operand.depth;
        let mut items = Vec::new();
        loop {
            let item = self.nested(Self::expression)?;
            depth = depth.max(item.depth);
            items.push(item.expr);
            self.cursor.skip_whitespace();
            if self.cursor.eat(',') {
                self.cursor.skip_whitespace();
                continue;
            }
            self.cursor.expect(')', "to close the list after `in`")?;
            break;
        }
        self.node(position, depth, Expr::In(Box::new(operand.expr), items))
    }
}

/// Why `written(` is not a call of a built-in function; `name` is it lowercased.
fn not_a_function(written: &str, name: &str) -> String {
    if name.starts_with("geo.") {
        return format!("{written}: geo functions are not supported");
    }
    if name.contains('.') {
        return format!("{written}: custom functions are not supported");
    }
    match name {
        "any" | "all" => format!("{written} must follow a collection path, as in Items/{name}(x: …)"),
        "not" => "`not` needs a space before its operand".to_owned(),
        _ if OPERATORS.iter().any(|operator| operator.keyword() == name) => {
            format!("`{written}` is an operator and needs an operand before it")
        }
        _ => format!(
            "`{written}` is not a built-in function (key predicates inside expressions are not supported either)"
        ),
    }
}
