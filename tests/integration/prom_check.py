#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks a Prometheus text exposition (format 0.0.4) on stdin, line by line.

  prom_check.py < body             exit 0 and "ok N families M samples", or the
                                   first bad lines (LINE: why) and exit 1
  prom_check.py --json < body      also prints the samples as JSON
                                   {"name{k=\"v\",...}": value} (labels sorted)

Checked: every line is a # HELP, a # TYPE, another comment or a sample; metric
and label names match the grammar; label values are quoted with only \\\\, \\" and
\\n escapes; values are floats (NaN, +Inf, -Inf allowed); each family has one
HELP and one TYPE, given before its samples and once; a family's samples are
contiguous; no series appears twice; counters are named *_total and are not
negative; names start with sipshard_.
"""
import json
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(s, pos):
    """s[pos] == '{'; returns (dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if s[pos] == "}":
            return labels, pos + 1
        m = LABEL.match(s, pos)
        if not m:
            raise ValueError("bad label name at column %d" % (pos + 1))
        key = m.group(0)
        pos = m.end()
        if s[pos:pos + 2] != '="':
            raise ValueError("label %s: expected =\"" % key)
        pos += 2
        val = []
        while True:
            if pos >= len(s):
                raise ValueError("label %s: unterminated value" % key)
            ch = s[pos]
            if ch == "\\":
                nxt = s[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("label %s: bad escape \\%s" % (key, nxt))
                val.append({"n": "\n"}.get(nxt, nxt))
                pos += 2
            elif ch == '"':
                pos += 1
                break
            else:
                val.append(ch)
                pos += 1
        if key in labels:
            raise ValueError("label %s twice" % key)
        labels[key] = "".join(val)
        if s[pos] == ",":
            pos += 1
        elif s[pos] != "}":
            raise ValueError("expected , or } after label %s" % key)


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and types.get(base) in ("histogram", "summary"):
            return base
    return name


def main():
    text = sys.stdin.read()
    errors = []
    helps, types, seen_series, samples = {}, {}, set(), {}
    done_families, current = set(), None
    if not text.endswith("\n"):
        errors.append("end: the body does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                    if len(parts) < 4 or not NAME.fullmatch(parts[2]):
                        raise ValueError("malformed # %s" % parts[1])
                    fam = parts[2]
                    if fam in done_families:
                        raise ValueError("# %s of %s after its samples" % (parts[1], fam))
                    table = helps if parts[1] == "HELP" else types
                    if fam in table:
                        raise ValueError("second # %s of %s" % (parts[1], fam))
                    if parts[1] == "TYPE" and parts[3] not in TYPES:
                        raise ValueError("unknown type %r" % parts[3])
                    if parts[1] == "HELP" and re.search(r"\\[^\\n]", parts[3]):
                        raise ValueError("bad escape in HELP")
                    table[fam] = parts[3]
                continue
            if line.strip() == "":
                raise ValueError("empty line")
            m = NAME.match(line)
            if not m:
                raise ValueError("bad metric name")
            name, pos = m.group(0), m.end()
            labels = {}
            if pos < len(line) and line[pos] == "{":
                labels, pos = parse_labels(line, pos)
            if line[pos:pos + 1] != " ":
                raise ValueError("expected a space before the value")
            rest = line[pos + 1:].split(" ")
            if len(rest) not in (1, 2) or rest[0] == "":
                raise ValueError("expected VALUE [TIMESTAMP]")
            value = float(rest[0]) if rest[0] not in ("+Inf", "-Inf", "NaN") else float(rest[0].replace("Inf", "inf"))
            if len(rest) == 2 and not re.fullmatch(r"-?[0-9]+", rest[1]):
                raise ValueError("bad timestamp")
            fam = family_of(name, types)
            if not name.startswith("sipshard_"):
                raise ValueError("%s does not start with sipshard_" % name)
            if fam not in types or fam not in helps:
                raise ValueError("sample of %s before its # HELP and # TYPE" % fam)
            if fam != current:
                if fam in done_families:
                    raise ValueError("samples of %s are not contiguous" % fam)
                if current is not None:
                    done_families.add(current)
                current = fam
            if types[fam] == "counter":
                if not name.endswith("_total"):
                    raise ValueError("counter %s does not end in _total" % name)
                if value < 0:
                    raise ValueError("counter %s is negative" % name)
            key = name + "{" + ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels)) + "}"
            if key in seen_series:
                raise ValueError("series %s twice" % key)
            seen_series.add(key)
            samples[key] = value
        except (ValueError, IndexError) as e:
            errors.append("%d: %s: %s" % (n, e, line[:120]))
    for fam in types:
        if fam not in helps:
            errors.append("family %s has a TYPE and no HELP" % fam)
    if errors:
        print("\n".join(errors[:20]))
        return 1
    if "--json" in sys.argv:
        print(json.dumps(samples))
    else:
        print("ok %d families %d samples" % (len(types), len(samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
