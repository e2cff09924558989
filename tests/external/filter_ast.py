"""Parses $filter expressions with odata-query, an independent OData parser, and prints each
tree in the canonical prefix form of Wharf's `Display for Expr` (see
host/src/odata/syntax.rs), so the two parsers can be compared text for text.

Input on stdin: a JSON array of expressions. Output on stdout: a JSON array of the same
length holding, for each, its canonical form, or null when odata-query rejects it.
Run with the venv that tests/external/install.sh makes.
"""

import json
import math
import sys
from decimal import Decimal

from odata_query import ast
from odata_query.grammar import ODataLexer, ODataParser

I64_MIN, I64_MAX = -(2**63), 2**63 - 1

COMPARATORS = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}
ARITHMETIC = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Mod: "mod"}
LOGICAL = {ast.And: "and", ast.Or: "or"}


class Unsupported(Exception):
    """A tree with a node Wharf's notation has no form for (a geography value, a named
    parameter, a list outside `in`): it can only compare unequal."""


def rust_exponent(value):
    """A float as Rust's `{:e}` prints it: shortest round-trip digits, `1e5`, `3.14e0`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-INF" if value < 0 else "INF"
    if value == 0:
        return "-0e0" if math.copysign(1.0, value) < 0 else "0e0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    exponent10 = len(digits) + exponent - 1
    text = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return ("-" if sign else "") + f"{mantissa}e{exponent10}"


def path(node):
    """The segments of an identifier or attribute chain."""
    if isinstance(node, ast.Identifier):
        return [node.full_name()]
    if isinstance(node, ast.Attribute):
        return path(node.owner) + [node.attr]
    raise Unsupported(type(node).__name__)


def literal(node):
    if isinstance(node, ast.Null):
        return "(null)"
    if isinstance(node, ast.Boolean):
        return f"(bool {node.val.lower()})"
    if isinstance(node, ast.Integer):
        # Wharf keeps whole numbers beyond an i64 as decimals, as written.
        number = int(node.val)
        return f"(int {number})" if I64_MIN <= number <= I64_MAX else f"(dec {node.val.lstrip('+')})"
    if isinstance(node, ast.Float):
        # odata-query has one kind for every number with a point or an exponent; Wharf keeps
        # those without an exponent as decimals, as written.
        if "e" in node.val.lower():
            return f"(double {rust_exponent(float(node.val))})"
        return f"(dec {node.val.lstrip('+')})"
    if isinstance(node, ast.String):
        escaped = node.val.replace("'", "''")
        return f"(str '{escaped}')"
    if isinstance(node, ast.Date):
        return f"(date {node.val})"
    if isinstance(node, ast.Time):
        return f"(timeofday {node.val})"
    if isinstance(node, ast.DateTime):
        return f"(datetimeoffset {node.val})"
    if isinstance(node, ast.Duration):
        return f"(duration {node.val})"
    if isinstance(node, ast.GUID):
        return f"(guid {node.val})"
    raise Unsupported(type(node).__name__)


def canonical(node):
    if isinstance(node, (ast.Identifier, ast.Attribute)):
        return "(prop " + " ".join(path(node)) + ")"
    if isinstance(node, ast.Compare):
        left = canonical(node.left)
        if isinstance(node.comparator, ast.In):
            if not isinstance(node.right, ast.List):
                raise Unsupported("in without a list")
            items = "".join(" " + canonical(item) for item in node.right.val)
            return f"(in {left} (list{items}))"
        return f"({COMPARATORS[type(node.comparator)]} {left} {canonical(node.right)})"
    if isinstance(node, ast.BoolOp):
        return f"({LOGICAL[type(node.op)]} {canonical(node.left)} {canonical(node.right)})"
    if isinstance(node, ast.BinOp):
        return f"({ARITHMETIC[type(node.op)]} {canonical(node.left)} {canonical(node.right)})"
    if isinstance(node, ast.UnaryOp):
        head = "not" if isinstance(node.op, ast.Not) else "neg"
        return f"({head} {canonical(node.operand)})"
    if isinstance(node, ast.Call):
        arguments = "".join(" " + canonical(argument) for argument in node.args)
        return f"(call {node.func.full_name().lower()}{arguments})"
    if isinstance(node, ast.CollectionLambda):
        kind = "any" if isinstance(node.operator, ast.Any) else "all"
        text = f"({kind} (prop " + " ".join(path(node.owner)) + ")"
        if node.lambda_ is not None:
            text += f" {node.lambda_.identifier.full_name()} {canonical(node.lambda_.expression)}"
        return text + ")"
    return literal(node)


def parse(text):
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
        return None if tree is None else canonical(tree)
    except Unsupported as unsupported:
        return f"(unsupported {unsupported})"
    except Exception:  # every way odata-query refuses input: its own errors, and some of Python's
        return None


def main():
    expressions = json.load(sys.stdin)
    json.dump([parse(text) for text in expressions], sys.stdout)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
