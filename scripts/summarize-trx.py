#!/usr/bin/env python3
"""Sums the TRX files of a `dotnet test` run into one line: 'tests: N passed, N failed, N skipped'.
Exits 1 when a test failed or when no test ran at all."""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", NS)
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
