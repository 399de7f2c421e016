#!/usr/bin/env python3
"""List the numbers in chapters' prose that none of their own cells printed.

    python tools/check_prose_numbers.py            # chapters 3 to 9; exit 1 on findings
    python tools/check_prose_numbers.py --all      # every chapter

The book's rule: a number in the prose is one that a cell of the same notebook printed
(or a setting its code states, such as 20 epochs), or a figure of a paper, cited as
such. This script reads each notebook's markdown cells and looks every number up:

- in the notebook's stored outputs (stream text, text/plain, and text/html with its
  tags stripped, where Keras summaries are), where a printed value
  matches at the prose's precision (44.3 matches 44.30 and 44.31; a fraction printed as
  0.443 matches 44.3 %);
- in the source of its code cells (settings and constants);
- in tools/prose_numbers.json, which names, chapter by chapter, the figures taken from
  papers and the facts of the data, each with its source.

Numbers inside LaTeX ($...$, worked arithmetic that the cells check), link targets and
citation roles, and numbers that are part of a name (ResNet-56, Figure 6, chapter 6,
Exercise 2) are not looked up. Whatever is left is listed with its cell, and the exit
status is 1: print it, cite it, or take it out of the prose.
"""

import argparse
import json
import re
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import nbformat

from book_layout import NOTEBOOKS, TOOLS

EXEMPT_FILE = TOOLS / "prose_numbers.json"
NUMBER = re.compile(
    r"(?<![\w.])[-+−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:e[-+]\d+)?"
    r"|(?<![\w.,])[-+−]?\d+(?:\.\d+)?(?:e[-+]\d+)?"
)
# A prose number in scientific form: 2.44 × 10⁻⁵.
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?) × 10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
TAG = re.compile(r"<[^>]+>")
# Text that never holds a number to look up: math, code spans, link targets, roles.
SKIP = re.compile(
    r"\$\$.*?\$\$|\$[^$]+\$|`[^`\n]*`|\]\([^)]*\)|\{[a-z]+\}`[^`]*`|<[^>]+>|\[\^?\d+\]",
    re.DOTALL,
)
# A number that is part of a name: a network, a figure, a chapter, a section.
NAMED = re.compile(
    r"(ResNet|PlainNet|Plain|VGG|ResNeXt|DenseNet|Inception|CIFAR|Figure|Table|"
    r"[Cc]hapter|[Ee]xercise|[Ss]ection|[Ee]quation|[Ee]q\.|[Ss]tage|[Ss]eed|"
    r"[Ll]ayer|[Bb]lock|[Ee]poch|[Cc]ell|[Pp]anel|step)[\s\-]?$"
)


def numbers_in(text: str) -> list[str]:
    text = SCIENTIFIC.sub(
        lambda match: f"{match[1]}e{match[2].translate(SUPERSCRIPTS)}", text
    )
    text = SKIP.sub(" ", text)
    found = []
    for match in NUMBER.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        if NAMED.search(before):
            continue
        found.append(match.group().replace("−", "-").lstrip("+"))
    return found


def value(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def printed_values(notebook) -> list[Decimal]:
    texts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts.append(cell.source)
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            data = output.get("data", {})
            texts.append(str(data.get("text/plain", "")))
            texts.append(TAG.sub(" ", str(data.get("text/html", ""))))
    found = []
    for match in NUMBER.finditer("\n".join(texts)):
        number = value(match.group().replace("−", "-").lstrip("+"))
        if number is not None:
            found.append(number)
    return found


def matches(prose: str, printed: list[Decimal]) -> bool:
    target = value(prose)
    if target is None:
        return True
    places = target.as_tuple().exponent
    quantum = Decimal(1).scaleb(places)
    for candidate in printed:
        for scaled in (candidate, candidate * 100):
            if abs(scaled) == abs(target):
                return True
            if places < 0 or abs(scaled) < 1000:
                for rounding in (ROUND_HALF_EVEN, ROUND_HALF_UP):
                    if abs(scaled.quantize(quantum, rounding)) == abs(target):
                        return True
    return False


def findings(path: Path, exempt: dict) -> list[tuple[int, str]]:
    notebook = nbformat.read(path, as_version=4)
    printed = printed_values(notebook)
    allowed = set(exempt.get(path.name, {})) - {"_about"}
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for number in numbers_in(cell.source):
            if number.rstrip(",") in allowed or matches(number.rstrip(","), printed):
                continue
            found.append((index, number.rstrip(",")))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every chapter, not 3 to 8")
    args = parser.parse_args()
    exempt = json.loads(EXEMPT_FILE.read_text())
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not args.all:
        paths = [path for path in paths if "03" <= path.name[:2] <= "09"]
    total = 0
    for path in paths:
        for index, number in findings(path, exempt):
            print(f"{path.name} cell {index}: {number}")
            total += 1
    print(f"{total} numbers in the prose that no cell printed")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
