#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Every panic site of core/ must be reached by the tests (make coverage).

A panic site is
  - a call panic(...) in core/**/*.c (the statement's lines, from the
    `panic(` to its closing parenthesis), and
  - in core/trap/host_hvc.c, each `bad = "NAME"` assignment: TrapDispatcher
    reports every hypercall's failed argument check through one
    bad_args() call, so each assignment is that hypercall's panic branch.
Listed apart, expected unreached: the panic in cv_assert_fail
(core/machine/panic.c: CV_ASSERT and assert_locked, the core's debug
assertions; reaching it would be a bug), and panics in __attribute__((weak))
arch fallbacks that the hosted machine overrides.

A site is reached when gcov counted any line of it (gcovr --json of the
coverage build). Prints every site that was not, with its function and
reason, writes the full list to --out, and exits 1 when any was missed
(--no-fail: 0).

    panic_sites.py build/coverage/coverage.json [--out FILE] [--no-fail]
"""

import argparse
import json
import os
import re
import sys

CALL = re.compile(r"\bpanic\s*\(")
BAD = re.compile(r'\bbad\s*=\s*(?:[^;]*\?\s*)?"')
FUNC = re.compile(r"^[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\(")


def strip(text):
    """The source with comments and string contents blanked, same layout."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_extent(code, start):
    """Line numbers (1-based) of the call whose '(' follows @start."""
    depth, i = 0, code.index("(", start)
    while i < len(code):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                break
        i += 1
    first = code.count("\n", 0, start) + 1
    return first, code.count("\n", 0, i) + 1


ATTR = re.compile(r"__attribute__\s*\(\((.*?)\)\)\s*")


def function_at(lines, lineno):
    """(name, attributes) of the function defined around line @lineno."""
    for k in range(lineno - 1, -1, -1):
        line = lines[k]
        if line.startswith((" ", "\t", "#", "}")) or not line.strip():
            continue
        attrs = " ".join(ATTR.findall(line))
        m = FUNC.match(ATTR.sub("", line))
        if m:
            return m.group(1), attrs
    return "?", ""


def reason(raw_lines, first, last):
    text = " ".join(l.strip() for l in raw_lines[first - 1:last])
    m = re.search(r'"((?:[^"\\]|\\.)*)"', text)
    return m.group(1) if m else text[:60]


def sites(root):
    for dirpath, _, files in os.walk(os.path.join(root, "core")):
        for f in sorted(files):
            if not f.endswith(".c"):
                continue
            path = os.path.relpath(os.path.join(dirpath, f), root)
            raw = open(os.path.join(root, path)).read()
            code = strip(raw)
            raw_lines = raw.split("\n")
            code_lines = code.split("\n")
            for m in CALL.finditer(code):
                first, last = call_extent(code, m.start())
                fn, attrs = function_at(code_lines, first)
                if fn == "panic":
                    continue  # the definition's own text
                kind = ("assert" if fn == "cv_assert_fail" else
                        "weak" if "weak" in attrs else "panic")
                yield (path, first, last, fn, kind,
                       reason(raw_lines, first, last))
            if path.endswith("trap/host_hvc.c"):
                for k, line in enumerate(code_lines, 1):
                    if BAD.search(line):
                        yield (path, k, k, function_at(code_lines, k)[0],
                               "panic", "bad args: " +
                               reason(raw_lines, k, k))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--root", default=".")
    ap.add_argument("--out")
    ap.add_argument("--no-fail", action="store_true")
    a = ap.parse_args()
    counts = {}
    for f in json.load(open(a.json))["files"]:
        counts[os.path.normpath(f["file"])] = {
            l["line_number"]: l["count"] for l in f["lines"]}
    rows, missed, asserts, weak = [], [], [], []
    for path, first, last, fn, kind, why in sites(a.root):
        c = counts.get(os.path.normpath(path), {})
        hit = max((c.get(l, 0) for l in range(first, last + 1)), default=0)
        measured = any(l in c for l in range(first, last + 1))
        row = "%s:%d %s: %s [%s]" % (path, first, fn, why,
                                     ("reached %d" % hit) if hit else
                                     ("NOT REACHED" if measured else
                                      "not compiled in"))
        rows.append(row)
        if kind == "assert":
            asserts.append(row)
        elif kind == "weak":
            weak.append(row)
        elif not hit:
            missed.append(row)
    total = len(rows) - len(asserts) - len(weak)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(rows) + "\n")
    print("panic sites: %d in core/, %d reached, %d not reached; apart: "
          "%d debug assertion, %d in weak arch fallbacks the hosted "
          "machine overrides (all expected unreached)"
          % (total, total - len(missed), len(missed), len(asserts),
             len(weak)))
    for r in missed:
        print("  " + r)
    return 1 if missed and not a.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
