#!/usr/bin/env python3
"""Writes a run's figures into docs/RELIABILITY.md, between the markers of its section.

Usage: update-doc.py SECTION SUMMARY_FILE COMMAND [VERDICT]
SUMMARY_FILE holds one line of key=value pairs (what the reliability tests write); the section
<!-- SECTION:begin --> ... <!-- SECTION:end --> is replaced by a table of them, the command that
produced them, the date and, when given, the verdict against the targets.
"""
import datetime
import pathlib
import sys

section, summary_file, command = sys.argv[1:4]
verdict = sys.argv[4] if len(sys.argv) > 4 else ""
doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md"
pairs = [kv.split("=", 1) for kv in pathlib.Path(summary_file).read_text().split()]
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
block = [f"<!-- {section}:begin -->",
         f"Last run {when}: `{command}`" + (f" — **{verdict}**" if verdict else ""),
         "",
         "| figure | value |",
         "|---|---|"]
block += [f"| {k} | {v} |" for k, v in pairs]
block.append(f"<!-- {section}:end -->")
text = doc.read_text()
begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
if begin not in text or end not in text:
    sys.exit(f"{doc} has no {begin} ... {end} section")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
doc.write_text(head + "\n".join(block) + tail)
print(f"updated {doc.name} section {section}")
