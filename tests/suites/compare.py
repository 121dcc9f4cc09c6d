#!/usr/bin/python3
"""Compare a suite's results natively and under hbtrace; summarize findings.

  compare.py junit    NATIVE_DIR HBTRACE_DIR   regrtest --junit-xml results
  compare.py automake NATIVE_DIR HBTRACE_DIR   automake *.trs results
  compare.py findings DIR                      every DIR/*.json report

Exits 1 when the results differ (per test, or the exit status).
"""
import collections
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def run_status(d):
    with open(os.path.join(d, "run.time")) as f:
        m = re.search(r"rc=(\d+) wall=([0-9.]+)", f.read())
    return int(m.group(1)), float(m.group(2))


def junit_results(d):
    """{test id: status} from regrtest's JUnit XML."""
    results = {}
    root = ET.parse(os.path.join(d, "junit.xml")).getroot()
    for case in root.iter("testcase"):
        status = "pass"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "fail", "error": "error",
                          "skipped": "skip"}[child.tag]
        results[case.get("name")] = status
    return results


def automake_results(d):
    results = {}
    for trs in sorted(glob.glob(os.path.join(d, "*.trs"))):
        with open(trs) as f:
            m = re.search(r"^:test-result: (\S+)", f.read(), re.M)
        results[os.path.basename(trs)[:-4]] = m.group(1) if m else "?"
    return results


def module_of(test_id):
    # "test.test_asyncio.test_tasks.CTaskTests.test_foo" -> test_tasks
    parts = test_id.split(".")
    mods = [p for p in parts if p.startswith("test_")]
    return mods[-2] if len(mods) >= 2 else parts[0]


def compare(kind, native_dir, traced_dir):
    read = junit_results if kind == "junit" else automake_results
    native, traced = read(native_dir), read(traced_dir)
    nrc, nwall = run_status(native_dir)
    trc, twall = run_status(traced_dir)

    def counts(results):
        c = collections.Counter(results.values())
        c["run"] = len(results)
        return c

    cols = ["run", "pass", "fail", "error", "skip"] if kind == "junit" else \
        ["run", "PASS", "FAIL", "ERROR", "SKIP", "XFAIL"]
    nc, tc = counts(native), counts(traced)
    print("%-10s %6s %8s %s" % ("", "exit", "wall s", " ".join(
        "%6s" % c for c in cols)))
    for name, rc, wall, c in (("native", nrc, nwall, nc),
                              ("hbtrace", trc, twall, tc)):
        print("%-10s %6d %8.1f %s" % (name, rc, wall, " ".join(
            "%6d" % c[k] for k in cols)))

    if kind == "junit":
        per_module = collections.defaultdict(lambda: [collections.Counter(),
                                                      collections.Counter()])
        for i, res in enumerate((native, traced)):
            for t, s in res.items():
                per_module[module_of(t)][i][s] += 1
        diff_modules = [m for m, (a, b) in per_module.items() if a != b]
        print("per-module counts differ in %d of %d modules" %
              (len(diff_modules), len(per_module)))
        for m in sorted(diff_modules):
            a, b = per_module[m]
            print("  %s: native %s, hbtrace %s" % (m, dict(a), dict(b)))

    differ = [t for t in sorted(set(native) | set(traced))
              if native.get(t) != traced.get(t)]
    for t in differ:
        print("  DIFFERS %s: native %s, hbtrace %s" %
              (t, native.get(t, "absent"), traced.get(t, "absent")))
    same = not differ and nrc == trc
    print("RESULT: %s" % ("same" if same else "DIFFERENT"))
    return 0 if same else 1


def findings(d):
    kinds = collections.Counter()
    by_trace = {}
    examples = collections.defaultdict(list)
    reports = sorted(glob.glob(os.path.join(d, "*.json")))
    unreadable = []
    for path in reports:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            unreadable.append(path)
            continue
        s = doc.get("summary", {})
        kinds.update(s)
        if s:
            by_trace[os.path.basename(path)] = s
        for fd in doc.get("findings", []):
            key = (fd["kind"], fd.get("detail"))
            if len(examples[key]) < 3:
                examples[key].append("%s: %s" % (os.path.basename(path),
                                                  fd["message"]))
    print("%d traces reported, %d with findings, %d unreadable reports" %
          (len(reports), len(by_trace), len(unreadable)))
    for p in unreadable:
        print("  unreadable: %s" % p)
    for k, n in kinds.most_common():
        print("  %-18s %d" % (k, n))
    for (kind, detail), ex in sorted(examples.items(),
                                     key=lambda kv: str(kv[0])):
        print("%s%s:" % (kind, " (%s)" % detail if detail else ""))
        for e in ex:
            print("    " + e[:200])
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] in ("junit", "automake"):
        return compare(sys.argv[1], sys.argv[2], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[1] == "findings":
        return findings(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
