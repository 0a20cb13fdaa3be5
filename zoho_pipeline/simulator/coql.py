"""COQL (POST /crm/v8/coql): the subset extractors use, with Zoho's limits and error codes.

SELECT fields (dot notation for lookups) FROM Module WHERE criteria [ORDER BY f [asc|desc], ...]
[LIMIT n [OFFSET m] | LIMIT m, n]. Criteria: = != > < >= <= like, not like, in, not in, between,
not between, is null, is not null; and/or with brackets (more than two criteria must be bracketed in
pairs, as Zoho requires). Criteria on id / Created_Time / Modified_Time run on the org's arrays, so
key-set paging over a million records stays fast; other fields build only the records they must look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from zoho_pipeline.simulator.accounts import AccessToken, scope_allows
from zoho_pipeline.simulator.errors import ZohoError, invalid_module, scope_mismatch
from zoho_pipeline.simulator.org import Org
from zoho_pipeline.simulator.records import Page

MAX_SELECT = 500
MAX_LIMIT = 2000
DEFAULT_LIMIT = 200
MAX_REACH = 100_000  # offset + limit
MAX_CRITERIA = 25
MAX_IN_VALUES = 100
MAX_ORDER_BY = 10
INDEXED = ("id", "Created_Time", "Modified_Time")

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.|'')*')|(?P<number>-?\d+(?:\.\d+)?)(?![\w.])|"
    r"(?P<op>>=|<=|!=|<>|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_$][\w$.]*))"
)


def syntax_error(near: str, clause: str = "where") -> ZohoError:
    return ZohoError(
        400,
        "SYNTAX_ERROR",
        f"error occured while parsing the query near {near}",
        {"clause": clause, "near": near},
    )


def invalid_query(message: str, **details) -> ZohoError:
    return ZohoError(400, "INVALID_QUERY", message, details)


@dataclass
class Comparison:
    field: str
    operator: str  # = != > < >= <= like "not like" in "not in" between "not between" "is null" "is not null"
    values: list


@dataclass
class Junction:
    operator: str  # and / or
    left: object
    right: object


@dataclass
class Query:
    fields: list[str]
    module: str
    where: object
    order_by: list[tuple[str, bool]]  # (field, descending)
    limit: int
    offset: int


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        position = 0
        text = text.strip().rstrip(";")
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise syntax_error(text[position : position + 20].strip() or text[-20:], "select")
            kind = match.lastgroup
            self.items.append((kind, match.group(kind)))
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.position = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.position + offset
        return self.items[index] if index < len(self.items) else None

    def word(self, offset: int = 0) -> str | None:
        item = self.peek(offset)
        return item[1].lower() if item and item[0] == "word" else None

    def take(self) -> tuple[str, str]:
        item = self.peek()
        if item is None:
            raise syntax_error("end of query")
        self.position += 1
        return item

    def expect_word(self, word: str, clause: str) -> None:
        if self.word() != word:
            item = self.peek()
            raise syntax_error(item[1] if item else "end of query", clause)
        self.position += 1

    def expect_op(self, op: str, clause: str = "where") -> None:
        item = self.peek()
        if item is None or item != ("op", op):
            raise syntax_error(item[1] if item else "end of query", clause)
        self.position += 1


def parse(text: str) -> Query:
    tokens = _Tokens(text)
    tokens.expect_word("select", "select")
    fields = []
    while True:
        kind, value = tokens.take()
        if kind != "word":
            raise syntax_error(value, "select")
        fields.append(value)
        if tokens.peek() == ("op", ","):
            tokens.take()
            continue
        break
    tokens.expect_word("from", "from")
    kind, module = tokens.take()
    if kind != "word":
        raise syntax_error(module, "from")
    if tokens.word() != "where":
        item = tokens.peek()
        raise syntax_error(item[1] if item else module, "where")  # WHERE is mandatory in COQL
    tokens.take()
    where = _criteria(tokens)
    order_by: list[tuple[str, bool]] = []
    if tokens.word() == "order":
        tokens.take()
        tokens.expect_word("by", "order by")
        while True:
            kind, field = tokens.take()
            if kind != "word":
                raise syntax_error(field, "order by")
            descending = False
            if tokens.word() in ("asc", "desc"):
                descending = tokens.take()[1].lower() == "desc"
            order_by.append((field, descending))
            if tokens.peek() == ("op", ","):
                tokens.take()
                continue
            break
    limit, offset = DEFAULT_LIMIT, 0
    if tokens.word() == "limit":
        tokens.take()
        limit = _integer(tokens, "limit")
        if tokens.peek() == ("op", ","):  # LIMIT offset, count
            tokens.take()
            offset, limit = limit, _integer(tokens, "limit")
    if tokens.word() == "offset":
        tokens.take()
        offset = _integer(tokens, "offset")
    if tokens.peek() is not None:
        raise syntax_error(tokens.peek()[1], "limit")
    return Query(fields, module, where, order_by, limit, offset)


def _integer(tokens: _Tokens, clause: str) -> int:
    kind, value = tokens.take()
    if kind != "number" or "." in value:
        raise syntax_error(value, clause)
    return int(value)


def _criteria(tokens: _Tokens):
    """A criterion or a junction of exactly two bracketed/atomic parts (Zoho's pairing rule)."""
    left = _atom(tokens)
    if tokens.word() in ("and", "or"):
        operator = tokens.take()[1].lower()
        right = _atom(tokens)
        if tokens.word() in ("and", "or"):
            raise syntax_error(tokens.peek()[1])  # more than two criteria need brackets in pairs
        return Junction(operator, left, right)
    return left


def _atom(tokens: _Tokens):
    if tokens.peek() == ("op", "("):
        tokens.take()
        inner = _criteria(tokens)
        tokens.expect_op(")")
        return inner
    kind, field = tokens.take()
    if kind != "word":
        raise syntax_error(field)
    word = tokens.word()
    if word == "is":
        tokens.take()
        negate = tokens.word() == "not"
        if negate:
            tokens.take()
        tokens.expect_word("null", "where")
        return Comparison(field, "is not null" if negate else "is null", [])
    negate = False
    if word == "not":
        tokens.take()
        negate = True
        word = tokens.word()
    if word in ("in", "between", "like"):
        tokens.take()
        operator = f"not {word}" if negate else word
        if word == "in":
            tokens.expect_op("(")
            values = [_value(tokens)]
            while tokens.peek() == ("op", ","):
                tokens.take()
                values.append(_value(tokens))
            tokens.expect_op(")")
            if len(values) > MAX_IN_VALUES:
                raise ZohoError(
                    400,
                    "LIMIT_EXCEEDED",
                    "max values limit exceeded for in operator",
                    {"limit": MAX_IN_VALUES},
                )
            return Comparison(field, operator, values)
        if word == "between":
            low = _value(tokens)
            tokens.expect_word("and", "where")
            return Comparison(field, operator, [low, _value(tokens)])
        return Comparison(field, operator, [_value(tokens)])
    if negate:
        raise syntax_error("not")
    kind, operator = tokens.take()
    if kind != "op" or operator not in ("=", "!=", "<>", ">", "<", ">=", "<="):
        raise syntax_error(operator)
    return Comparison(field, "!=" if operator == "<>" else operator, [_value(tokens)])


def _value(tokens: _Tokens):
    kind, value = tokens.take()
    if kind == "string":
        return value[1:-1].replace("''", "'").replace("\\'", "'")
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "word" and value.lower() == "null":
        return None
    raise syntax_error(value)


def _count_criteria(node) -> int:
    if isinstance(node, Junction):
        return _count_criteria(node.left) + _count_criteria(node.right)
    return 1


# -- evaluation ---------------------------------------------------------------------------------------


def _instant(value, field: str) -> int:
    if not isinstance(value, str):
        raise invalid_query("invalid value given for the datetime field", column_name=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_query("invalid value given for the datetime field", column_name=field) from None
    if parsed.tzinfo is None:
        raise invalid_query("datetime value needs a UTC offset", column_name=field)
    return int(parsed.timestamp())


class _Evaluator:
    def __init__(self, org: Org, module: str) -> None:
        self.org = org
        self.module = module
        self.store = org.store
        self.definition = org.store.modules[module]
        self.arrays = org.store.stores[module].arrays
        self._records: dict[int, dict] = {}

    def record(self, index: int) -> dict:
        found = self._records.get(index)
        if found is None:
            found = self._records[index] = self.store.record(self.module, index)
        return found

    def check_field(self, name: str) -> None:
        base = name.split(".", 1)[0]
        field_def = self.definition.field(base)
        if field_def is None:
            raise invalid_query("invalid column given", column_name=name)
        if field_def.data_type == "multiselectlookup":
            raise invalid_query("field not supported in COQL", column_name=name)

    def data_type(self, name: str) -> str:
        field_def = self.definition.field(name.split(".", 1)[0])
        if "." in name:
            return "text"
        return field_def.data_type if field_def else "text"

    def value(self, index: int, name: str):
        """The comparable value of a field: ids for lookups, names through dot notation."""
        if name == "id":
            return int(self.store.record_id(self.module, index))
        base, _, sub = name.partition(".")
        value = self.record(index).get(base)
        if isinstance(value, dict):
            if sub in ("", "id"):
                return value.get("id")
            if sub == "email":
                return value.get("email")
            return value.get("name")
        return value

    def mask(self, node, indices: np.ndarray) -> np.ndarray:
        if len(indices) == 0:
            return np.zeros(0, dtype=bool)
        if isinstance(node, Junction):
            left = self.mask(node.left, indices)
            result = left.copy()
            if node.operator == "and":
                result[left] = self.mask(node.right, indices[left])
            else:
                result[~left] = self.mask(node.right, indices[~left])
            return result
        if node.field in INDEXED:
            return self._indexed_mask(node, indices)
        return np.fromiter(
            (self._matches(node, self.value(int(i), node.field)) for i in indices),
            dtype=bool,
            count=len(indices),
        )

    def _indexed_mask(self, node: Comparison, indices: np.ndarray) -> np.ndarray:
        if node.field == "id":
            column = np.array([int(self.store.record_id(self.module, 0))], dtype=np.int64)[0] + indices * 7
            literals = [int(v) if isinstance(v, (int, str)) and str(v).isdigit() else -1 for v in node.values]
        else:
            source = self.arrays.created if node.field == "Created_Time" else self.arrays.modified
            column = source[indices]
            literals = [_instant(v, node.field) for v in node.values]
        operator = node.operator
        if operator == "is null":
            return np.zeros(len(indices), dtype=bool)
        if operator == "is not null":
            return np.ones(len(indices), dtype=bool)
        if operator in ("in", "not in"):
            result = np.isin(column, np.array(literals, dtype=np.int64))
            return ~result if operator == "not in" else result
        if operator in ("between", "not between"):
            result = (column >= literals[0]) & (column <= literals[1])
            return ~result if operator == "not between" else result
        value = literals[0]
        return (
            {
                "=": column == value,
                "!=": column != value,
                ">": column > value,
                "<": column < value,
                ">=": column >= value,
                "<=": column <= value,
            }[operator]
            if operator in ("=", "!=", ">", "<", ">=", "<=")
            else self._unsupported(node)
        )

    def _unsupported(self, node: Comparison):
        raise invalid_query(
            f"operator {node.operator} is not supported for this field", column_name=node.field
        )

    def _matches(self, node: Comparison, actual) -> bool:
        operator = node.operator
        if operator == "is null":
            return actual is None or actual == [] or actual == ""
        if operator == "is not null":
            return not (actual is None or actual == [] or actual == "")
        data_type = self.data_type(node.field)
        if actual is None:
            return operator in ("!=", "not in", "not like", "not between")
        if isinstance(actual, list):
            actual = ";".join(str(v) for v in actual)  # multi-select compared as 'A;B' (Zoho's notation)
        values = node.values
        if data_type == "datetime":
            actual = _instant(actual, node.field)
            values = [_instant(v, node.field) for v in values]
        elif isinstance(actual, bool):
            values = [v if isinstance(v, bool) else str(v).lower() == "true" for v in values]
        elif isinstance(actual, (int, float)):
            try:
                values = [float(v) for v in values]
            except (TypeError, ValueError):
                raise invalid_query("invalid value given for the field", column_name=node.field) from None
        else:
            # guessed: text comparisons ignore case, as COQL's criteria do in the UI
            actual = str(actual).lower()
            values = [str(v).lower() for v in values]
        if operator in ("like", "not like"):
            pattern = "^" + ".*".join(re.escape(part) for part in str(values[0]).split("%")) + "$"
            result = re.match(pattern, str(actual), re.S) is not None
            return not result if operator == "not like" else result
        if operator in ("in", "not in"):
            result = actual in values
            return not result if operator == "not in" else result
        if operator in ("between", "not between"):
            result = values[0] <= actual <= values[1]
            return not result if operator == "not between" else result
        try:
            return {
                "=": actual == values[0],
                "!=": actual != values[0],
                ">": actual > values[0],
                "<": actual < values[0],
                ">=": actual >= values[0],
                "<=": actual <= values[0],
            }[operator]
        except TypeError:
            raise invalid_query("invalid value given for the field", column_name=node.field) from None

    def order(self, indices: np.ndarray, order_by: list[tuple[str, bool]]) -> np.ndarray:
        if not order_by:
            return indices  # guessed: without ORDER BY rows come in id order
        if all(field in INDEXED for field, _ in order_by):
            keys = []
            for field, descending in reversed(order_by):
                column = (
                    indices
                    if field == "id"
                    else (self.arrays.created if field == "Created_Time" else self.arrays.modified)[indices]
                )
                keys.append(-column if descending else column)
            return indices[np.lexsort(keys)]
        ordered = list(indices)
        for field, descending in reversed(order_by):
            # guessed: nulls sort first ascending (last descending)
            ordered.sort(key=lambda i, f=field: _sort_key(self.value(int(i), f)), reverse=descending)
        return np.array(ordered, dtype=np.int64)

    def row(self, index: int, fields: list[str]) -> dict:
        record = self.record(index)
        row = {}
        for name in fields:
            if "." in name:
                row[name] = self.value(index, name)
                continue
            value = record.get(name)
            if isinstance(value, dict) and "id" in value and name != "Parent_Id":
                value = {"id": value["id"]}  # COQL gives lookups as {"id"} only
            row[name] = value
        row["id"] = record["id"]
        return row


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).lower())


def credits_for(limit: int) -> int:
    return 1 if limit <= 200 else 2 if limit <= 1000 else 3


def run(org: Org, body, access: AccessToken) -> Page:
    if not isinstance(body, dict) or not body.get("select_query"):
        raise ZohoError(
            400, "REQUIRED_PARAM_MISSING", "select_query is missing", {"param_name": "select_query"}
        )
    query = parse(str(body["select_query"]))
    if query.module not in org.store.modules:
        raise invalid_module()
    if not scope_allows(access.scopes, f"ZohoCRM.modules.{query.module.lower()}.READ"):
        raise scope_mismatch()
    if len(query.fields) > MAX_SELECT:
        raise ZohoError(400, "LIMIT_EXCEEDED", "select columns limit exceeded", {"limit": MAX_SELECT})
    if _count_criteria(query.where) > MAX_CRITERIA:
        raise ZohoError(400, "LIMIT_EXCEEDED", "criteria limit exceeded", {"limit": MAX_CRITERIA})
    if len(query.order_by) > MAX_ORDER_BY:
        raise ZohoError(400, "LIMIT_EXCEEDED", "order by limit exceeded", {"limit": MAX_ORDER_BY})
    if query.limit < 1 or query.limit > MAX_LIMIT:
        raise ZohoError(400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": MAX_LIMIT})  # guessed details
    if query.offset + query.limit > MAX_REACH:
        raise ZohoError(400, "LIMIT_EXCEEDED", "Max records limit exceeded", {"limit": MAX_REACH})
    evaluator = _Evaluator(org, query.module)
    for name in query.fields + [field for field, _ in query.order_by]:
        evaluator.check_field(name)
    _check_criteria_fields(evaluator, query.where)
    store = org.store.stores[query.module]
    alive = np.nonzero(store.alive_mask())[0].astype(np.int64)
    matched = alive[evaluator.mask(query.where, alive)]
    ordered = evaluator.order(matched, query.order_by)
    window = ordered[query.offset : query.offset + query.limit]
    if len(window) == 0:
        return Page(204, credits=credits_for(query.limit))
    data = [evaluator.row(int(i), query.fields) for i in window]
    info = {"count": len(data), "more_records": query.offset + len(window) < len(ordered)}
    return Page(200, {"data": data, "info": info}, records=len(data), credits=credits_for(query.limit))


def _check_criteria_fields(evaluator: _Evaluator, node) -> None:
    if isinstance(node, Junction):
        _check_criteria_fields(evaluator, node.left)
        _check_criteria_fields(evaluator, node.right)
    else:
        evaluator.check_field(node.field)
