"""Reference solutions for the benchmark suite (benchmarks/): what a model that solves a case writes, per story.

The suite's own test proves each case is solvable (visible and hidden tests pass with these) and that
its hidden tests fail on the untouched starter; the benchmark test scripts the fake LLM with them.
"""

SLUGIFY = '''"""Text helpers."""

import re
import unicodedata


def slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))
'''

ROMAN = '''"""Number formatting."""

_VALUES = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def to_roman(n):
    if not isinstance(n, int) or not 1 <= n <= 3999:
        raise ValueError(f"{n!r} is outside 1..3999")
    out = []
    for value, letters in _VALUES:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)
'''

RPN_TOKENIZE = '''"""A reverse Polish notation calculator."""

OPERATORS = "+-*/"


def tokenize(text):
    tokens = []
    for part in text.split():
        if part in OPERATORS:
            tokens.append(part)
            continue
        try:
            tokens.append(float(part))
        except ValueError:
            raise ValueError(f"unknown token {part!r}") from None
    return tokens
'''

RPN_EVALUATE = (
    RPN_TOKENIZE
    + """

def evaluate(text):
    stack = []
    for token in tokenize(text):
        if isinstance(token, float):
            stack.append(token)
            continue
        if len(stack) < 2:
            raise ValueError("too few operands")
        b, a = stack.pop(), stack.pop()
        if token == "+":
            stack.append(a + b)
        elif token == "-":
            stack.append(a - b)
        elif token == "*":
            stack.append(a * b)
        else:
            stack.append(a / b)
    if len(stack) != 1:
        raise ValueError("malformed expression")
    return stack[0]
"""
)

INVENTORY_1 = '''"""Stock levels per SKU."""


def _check(qty):
    if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
        raise ValueError(f"quantity must be a positive int, got {qty!r}")


class Inventory:
    def __init__(self):
        self._stock = {}

    def add(self, sku, qty):
        _check(qty)
        self._stock[sku] = self._stock.get(sku, 0) + qty

    def remove(self, sku, qty):
        _check(qty)
        if self._stock.get(sku, 0) < qty:
            raise ValueError(f"only {self._stock.get(sku, 0)} of {sku} in stock")
        self._stock[sku] -= qty

    def quantity(self, sku):
        return self._stock.get(sku, 0)
'''

INVENTORY_2 = (
    INVENTORY_1
    + """
    def low_stock(self, threshold):
        return sorted(sku for sku, qty in self._stock.items() if qty < threshold)
"""
)

INVENTORY_3 = (
    INVENTORY_2
    + """
    def to_dict(self):
        return dict(self._stock)

    @classmethod
    def from_dict(cls, data):
        inventory = cls()
        for sku, qty in data.items():
            if not isinstance(qty, int) or qty < 0:
                raise ValueError(f"bad quantity for {sku}: {qty!r}")
            inventory._stock[sku] = qty
        return inventory
"""
)

TODO_STORE = '''"""The to-do items, kept in a JSON file."""

import json
from pathlib import Path


class TodoStore:
    def __init__(self, path):
        self.path = Path(path)
        self._items = json.loads(self.path.read_text()) if self.path.exists() else []

    def _save(self):
        self.path.write_text(json.dumps(self._items))

    def add(self, text):
        item_id = max((i["id"] for i in self._items), default=0) + 1
        self._items.append({"id": item_id, "text": text, "done": False})
        self._save()
        return item_id

    def items(self):
        return list(self._items)

    def done(self, item_id):
        for item in self._items:
            if item["id"] == item_id:
                item["done"] = True
                self._save()
                return
        raise KeyError(item_id)
'''

TODO_MAIN = '''"""python -m todo --file F add TEXT | list | done ID"""

import argparse
import sys

from .store import TodoStore


def main(argv=None):
    parser = argparse.ArgumentParser(prog="todo")
    parser.add_argument("--file", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("add").add_argument("text")
    listing = commands.add_parser("list")
    listing.add_argument("--pending", action="store_true")
    commands.add_parser("done").add_argument("id", type=int)
    args = parser.parse_args(argv)
    store = TodoStore(args.file)
    if args.command == "add":
        print(store.add(args.text))
    elif args.command == "list":
        for item in store.items():
            if getattr(args, "pending", False) and item["done"]:
                continue
            print(f"[{'x' if item['done'] else ' '}] {item['id']} {item['text']}")
    else:
        try:
            store.done(args.id)
        except KeyError:
            print(f"no item {args.id}", file=sys.stderr)
            return 1
    return 0


sys.exit(main())
'''

WF_COUNT = '''"""Counting words."""

import re
from collections import Counter


def count_words(text):
    return dict(Counter(re.findall(r"[a-z']+", text.lower())))
'''

WF_TOP = (
    WF_COUNT
    + """

def top_words(counts, n):
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
"""
)

WF_MAIN = '''"""python -m wordfreq FILE [-n N]"""

import argparse
import sys

from .count import count_words, top_words


def main():
    parser = argparse.ArgumentParser(prog="wordfreq")
    parser.add_argument("file")
    parser.add_argument("-n", type=int, default=10)
    args = parser.parse_args()
    try:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        print(f"wordfreq: {exc}", file=sys.stderr)
        return 2
    for word, count in top_words(count_words(text), args.n):
        print(f"{count} {word}")
    return 0


sys.exit(main())
'''

# case -> [(story id, {path: content})] in story order
SOLUTIONS = {
    "slugify": [("SLUG-1", {"textutil.py": SLUGIFY})],
    "roman": [("ROMAN-1", {"numerals.py": ROMAN})],
    "rpn": [("RPN-1", {"rpn.py": RPN_TOKENIZE}), ("RPN-2", {"rpn.py": RPN_EVALUATE})],
    "inventory": [
        ("INV-1", {"inventory.py": INVENTORY_1}),
        ("INV-2", {"inventory.py": INVENTORY_2}),
        ("INV-3", {"inventory.py": INVENTORY_3}),
    ],
    "todo-cli": [
        ("TODO-1", {"todo/store.py": TODO_STORE}),
        ("TODO-2", {"todo/__main__.py": TODO_MAIN}),
        ("TODO-3", {}),  # the reference CLI already has --pending
    ],
    "wordfreq": [
        ("WF-1", {"wordfreq/count.py": WF_COUNT}),
        ("WF-2", {"wordfreq/count.py": WF_TOP}),
        ("WF-3", {"wordfreq/__main__.py": WF_MAIN}),
    ],
}
