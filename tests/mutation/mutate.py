#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
The mutation check (`make mutation`): plant one-line bugs in core/ and
check that the tests catch each one.

Mutants are data (tests/mutation/mutants.txt): a file, a text that occurs
exactly once in it, and what that text becomes. A mutant whose text no
longer occurs exactly once, or whose mutated core does not build, is
reported as stale and fails the run: the list must follow the code.

Each mutant is built once, in a worker copy of the tree (one per job,
build/mutation/w<N>, its own build/: make rebuilds only the mutated file
and what depends on it), and run against, in order, stopping at the first
failure (the mutant is then killed):
  1. the unit tests of the mutated area (Criterion --filter, --fail-fast,
     a per-test timeout): most mutants die here in seconds;
  2. every other unit test (--fail-fast);
  3. the differential runner against the spec model (MUTATION_MODEL_CALLS
     calls, one seed);
  4. for mutants marked `stress`, the concurrency stress test (TSan and
     ASan builds, as `make test-stress` runs it).
A mutant that passes all of them survived. A survivor must be shown
equivalent (an `equivalent` line in the list with the reason) or killed by
a new test; the run fails while an unexplained survivor remains, and warns
about an `equivalent` mutant that was killed (the reason is wrong).

    tests/mutation/mutate.py [--jobs 2] [--only ID,ID] [--check]
                             [--stages unit,model,stress]
                             [--merge A.json,B.json]
    --check: only check that every pattern still applies (seconds)
    --stages: only these runners (e.g. model: which bugs the differential
              runner alone finds)
    --merge: run nothing; the report of the whole list from the
             report.json files of earlier runs (batches of --only; a later
             file's result for a mutant replaces an earlier one's). A
             mutant no file ran, or ran with another pattern, is "not run".

Results: build/mutation/report.md (and report.json); exit status 0 when
every mutant applied, built, and was killed or shown equivalent.
"""

import argparse
import json
import os
import queue
import re
import select
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build", "mutation")

# Unit-test suites to try first for a mutant of each core/ folder
# (Criterion --filter, extglob); a mutant's `tests` line overrides it.
FOLDER_TESTS = {
    "boot": "@(boot_*|fixes|trap|vcpu)/*",
    "gic": "@(gictab|mutants_gic|s2page)/*",
    "inv": "@(inv|fixes)/*",
    "lock": "@(hosted_arch|tlb|pt)/*",
    "machine": "@(hosted*|panic_sites|inv|s2page)/*",
    "pt": "@(pt|tlb|s2page)/*",
    "s2page": "@(s2page|tlb|fixes)/*",
    "smmu": "@(smmu|boot_smmu|tlb)/*",
    "spt": "@(spt|smmu|tlb)/*",
    "trap": "@(trap|boot_hvc|smmu|tlb)/*",
    "vcpu": "@(vcpu|trap)/*",
}

UNIT_BIN = "build/hosted/unit-tests"
MODEL_LIB = "build/model/libcorevisor-model.so"
KEYS = {"file", "find", "replace", "tests", "stress", "equivalent", "why"}


# ---- the list ---------------------------------------------------------------

class Mutant:
    def __init__(self, mid, line):
        self.id = mid
        self.line = line  # where it is defined in the list
        self.fields = {}

    def __getattr__(self, key):
        if key in KEYS:
            return self.fields.get(key)
        raise AttributeError(key)

    @property
    def folder(self):
        parts = (self.file or "").split("/")
        if len(parts) > 2 and parts[0] == "core":
            return "lock" if parts[-1] == "lock.h" else parts[1]
        return "?"


def parse(path):
    """The mutants of @path, and the list's own errors."""
    mutants, errors, cur = [], [], None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^mutant\s+(\S+)\s*$", line)
            if m:
                cur = Mutant(m.group(1), n)
                mutants.append(cur)
                continue
            m = re.match(r"^\s+(\w+)(?:\s(.*))?$", line)
            if not m or cur is None or m.group(1) not in KEYS:
                errors.append("%s:%d: not a mutant line: %s" % (path, n, line))
                continue
            key, val = m.group(1), (m.group(2) or "").strip()
            if key in cur.fields:
                errors.append("%s:%d: %s given twice" % (path, n, key))
            cur.fields[key] = val
    seen = set()
    for m in mutants:
        if m.id in seen:
            errors.append("%s:%d: mutant %s defined twice" % (path, m.line, m.id))
        seen.add(m.id)
        for key in ("file", "find"):
            if not m.fields.get(key):
                errors.append("%s:%d: mutant %s has no %s" % (path, m.line, m.id, key))
        if "replace" not in m.fields:
            errors.append("%s:%d: mutant %s has no replace" % (path, m.line, m.id))
    return mutants, errors


def mutated_text(m, root=ROOT):
    """(original, mutated) text of @m's file, or (None, why it is stale)."""
    path = os.path.join(root, m.file)
    if not os.path.isfile(path):
        return None, "file %s does not exist" % m.file
    with open(path) as f:
        text = f.read()
    n = text.count(m.find)
    if n != 1:
        return None, "pattern occurs %d times in %s (must be once): %s" % (
            n, m.file, m.find)
    if "\n" in m.find:
        return None, "pattern spans lines"
    new = text.replace(m.find, m.replace)
    if new == text:
        return None, "replacement changes nothing"
    return text, new


def line_of(text, find):
    return text[: text.index(find)].count("\n") + 1


# ---- a worker's copy of the tree ----------------------------------------------

def repo_files():
    out = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
        check=True, capture_output=True).stdout.decode()
    return [p for p in out.split("\0") if p and not p.startswith("build/")]


class Worker:
    def __init__(self, n, files, log):
        self.n = n
        self.dir = os.path.join(OUT, "w%d" % n)
        self.log = log
        self.built = set()  # targets built since the last source change
        self.sync(files)

    def sync(self, files):
        """Make the worker's tree equal to the repository's (fresh mtimes
        for every file that differs, so make rebuilds what it must)."""
        os.makedirs(self.dir, exist_ok=True)
        marker = os.path.join(self.dir, ".mutated")
        if os.path.exists(marker):  # a run stopped inside a mutant
            with open(marker) as f:
                stale = f.read().strip()
            if os.path.exists(os.path.join(self.dir, stale)):
                os.remove(os.path.join(self.dir, stale))
            os.remove(marker)
        want = set(files)
        for rel in files:
            src, dst = os.path.join(ROOT, rel), os.path.join(self.dir, rel)
            if not os.path.isfile(src):
                continue
            if os.path.isfile(dst) and same_file(src, dst):
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
            shutil.copymode(src, dst)
        for dirpath, dirnames, filenames in os.walk(self.dir):
            rel_dir = os.path.relpath(dirpath, self.dir)
            if rel_dir == "build" or rel_dir.startswith("build" + os.sep):
                dirnames[:] = []
                continue
            for fn in filenames:
                rel = os.path.normpath(os.path.join(rel_dir, fn))
                if rel != ".mutated" and rel not in want:
                    os.remove(os.path.join(dirpath, fn))

    def write(self, rel, text):
        path = os.path.join(self.dir, rel)
        with open(path, "w") as f:
            f.write(text)
        now = time.time()
        os.utime(path, (now, now))
        self.built.clear()

    def mutate(self, m, text):
        with open(os.path.join(self.dir, ".mutated"), "w") as f:
            f.write(m.file)
        self.write(m.file, text)

    def restore(self, m, text):
        self.write(m.file, text)
        os.remove(os.path.join(self.dir, ".mutated"))

    def make(self, targets, timeout=1800):
        todo = [t for t in targets if t not in self.built]
        if not todo:
            return True, ""
        r = run(["make", "-j1", "--no-print-directory"] + todo, self.dir,
                timeout)
        if r[0] == 0:
            self.built.update(todo)
        return r[0] == 0, r[1]


def same_file(a, b):
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def run(cmd, cwd, timeout, env=None, idle=None):
    """(exit status, output tail); 124 when it ran over @timeout seconds,
    or printed nothing for @idle seconds (a hung test: Criterion's own
    --timeout does not stop a test whose threads spin). The whole process
    group is killed."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    chunks, start = [], time.time()
    last = start
    rc = None
    fd = p.stdout.fileno()
    while True:
        now = time.time()
        if now - start > timeout or (idle and now - last > idle):
            os.killpg(p.pid, 9)
            p.wait()
            rc = 124
            break
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            data = os.read(fd, 65536)
            if not data:
                rc = p.wait()
                break
            chunks.append(data)
            last = time.time()
            if len(chunks) > 64:
                chunks = [b"".join(chunks)[-65536:]]
    p.stdout.close()
    text = b"".join(chunks).decode(errors="replace")
    return rc, text[-6000:]


# ---- the stages -----------------------------------------------------------------

ASAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1"}


def first_failure(out):
    """The first failing test Criterion names, or a short summary."""
    m = re.search(r"\[FAIL\] (\S+?::[^:\s]+)", out)
    if m:
        return m.group(1)
    runs = re.findall(r"\[RUN \] (\S+)", out)
    if runs and not re.search(r"\[(PASS|FAIL)\] %s\b" % re.escape(runs[-1]),
                              out):
        return runs[-1] + " (hung)"
    m = re.search(r"(\S+::\S+): (CRASH|Timed out)", out)
    if m:
        return "%s (%s)" % (m.group(1), m.group(2).lower())
    lines = [l for l in out.strip().splitlines() if l.strip()]
    return lines[-1][:160] if lines else ""


def stages(m, args):
    """(name, targets, command, env, timeout, idle timeout, parser)."""
    unit = [UNIT_BIN, "--fail-fast", "--jobs", "1", "--verbose",
            "--short-filename"]
    hint = m.tests or FOLDER_TESTS.get(m.folder)
    out = []
    if hint:
        out.append(("unit " + hint, [UNIT_BIN], unit + ["--filter", hint],
                    ASAN_ENV, args.stage_timeout, args.test_timeout,
                    first_failure))
    rest = unit
    m_hint = re.match(r"^@\((.*)\)/\*$", hint or "")
    if m_hint:  # the other suites only: the hint's passed already
        rest = unit + ["--filter", "!(%s)/*" % m_hint.group(1)]
    out.append(("unit", [UNIT_BIN], rest, ASAN_ENV, args.stage_timeout,
                args.test_timeout, first_failure))
    out.append(("model", [MODEL_LIB],
                [sys.executable, "tests/model/diff_runner.py", "--lib",
                 MODEL_LIB, "--calls", str(args.model_calls), "--seed", "1",
                 "--jobs", "1", "--quiet"], {}, args.stage_timeout, None,
                lambda o: (o.strip().splitlines() or [""])[-1][:160]))
    if m.stress:
        out.append(("stress", [], ["make", "--no-print-directory", "-j1",
                                   "test-stress"], {}, args.stage_timeout,
                    None, lambda o: (o.strip().splitlines() or [""])[-1][:160]))
    return out


def chosen(name, args):
    """Whether stage @name ("unit ...", "model", "stress") is to run."""
    return name.split()[0] in args.stages


def run_mutant(w, m, args):
    res = {"id": m.id, "file": m.file, "folder": m.folder, "find": m.find,
           "replace": m.replace, "equivalent": m.equivalent, "why": m.why,
           "worker": w.n}
    t0 = time.time()
    orig, new = mutated_text(m)
    if orig is None:
        res.update(status="stale", detail=new)
        return res
    res["line"] = line_of(orig, m.find)
    w.mutate(m, new)
    try:
        res["status"] = "survived"
        for name, targets, cmd, env, timeout, idle, parse_out in stages(
                m, args):
            if not chosen(name, args):
                continue
            ok, log = w.make(targets)
            if not ok:
                res.update(status="build-error",
                           detail=(re.findall(r".*error:.*", log) or
                                   [log.strip()[-300:]])[0][:300])
                break
            rc, out = run(cmd, w.dir, timeout, env, idle)
            if rc != 0:
                res.update(status="killed", stage=name,
                           detail=("timeout: " if rc == 124 else "") +
                           parse_out(out), rc=rc)
                break
    finally:
        w.restore(m, orig)
    res["seconds"] = round(time.time() - t0, 1)
    return res


# ---- the report ---------------------------------------------------------------

def stage_kind(stage):
    """The runner a stage name belongs to, the first unit stage told apart."""
    if stage.startswith("unit "):
        return "unit (the area's suites)"
    return {"unit": "unit (every other suite)"}.get(stage, stage)


def report(results, errors, total_s, args, how=None):
    by = lambda s: [r for r in results if r["status"] == s]
    killed, survived = by("killed"), by("survived")
    stale = by("stale") + by("build-error")
    not_run = by("not run")
    equiv = [r for r in survived if r["equivalent"]]
    open_ = [r for r in survived if not r["equivalent"]]
    wrong_equiv = [r for r in killed if r["equivalent"]]
    n = len(results)
    countable = n - len(stale) - len(not_run)
    lines = ["# Mutation check", "",
             "%d mutants over %d folders of core/; %s; runners: %s." % (
                 n, len({r["folder"] for r in results}),
                 how or "%.0f s on %d jobs" % (total_s, args.jobs),
                 ", ".join(s for s in ("unit", "model", "stress")
                           if s in args.stages)),
             "",
             "- killed: %d" % len(killed)]
    for kind in sorted({stage_kind(r.get("stage", "")) for r in killed}):
        lines.append("  - by %s: %d" % (kind, sum(
            1 for r in killed if stage_kind(r.get("stage", "")) == kind)))
    lines += ["- survived, shown equivalent: %d" % len(equiv),
              "- survived, not explained: %d" % len(open_),
              "- stale (pattern or build): %d" % len(stale)]
    if not_run:
        lines.append("- not run: %d" % len(not_run))
    lines.append("")
    if countable:
        lines.append("Kill rate: %d/%d = %.1f%% of the mutants that applied; "
                     "%d/%d = %.1f%% of the non-equivalent ones." % (
                         len(killed), countable, 100.0 * len(killed) / countable,
                         len(killed), countable - len(equiv),
                         100.0 * len(killed) / max(1, countable - len(equiv))))
    lines += ["", "| mutant | where | result | by | detail |",
              "|---|---|---|---|---|"]
    for r in results:
        where = "%s:%s" % (r["file"], r.get("line", "?"))
        result = r["status"]
        if result == "survived" and r["equivalent"]:
            result = "equivalent"
        detail = r.get("detail") or (r["equivalent"] or "")
        lines.append("| %s | %s | %s | %s | %s |" % (
            r["id"], where, result, r.get("stage", ""),
            detail.replace("|", "\\|")))
    for e in errors:
        lines.append("\nlist error: " + e)
    for r in wrong_equiv:
        lines.append("\nwarning: %s is marked equivalent but was killed (%s)"
                     % (r["id"], r.get("detail", "")))
    text = "\n".join(lines) + "\n"
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(results, f, indent=1)
    return text, bool(open_ or stale or errors or not_run)


def merge(mutants, files):
    """The results of @files (report.json of earlier runs) for the list's
    @mutants, with the list's equivalence notes; "not run" for the rest."""
    found = {}
    for path in files:
        with open(path) as f:
            for r in json.load(f):
                found[r["id"]] = r
    out = []
    for m in mutants:
        r = dict(found.get(m.id) or {})
        if r.get("find") != m.find or r.get("replace") != m.replace or \
                r.get("file") != m.file:
            r = {"id": m.id, "file": m.file, "status": "not run",
                 "find": m.find, "replace": m.replace}
        r.update(folder=m.folder, equivalent=m.equivalent, why=m.why)
        out.append(r)
    return out


# ---- main -----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", default=os.path.join(ROOT, "tests", "mutation",
                                                   "mutants.txt"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutant applies")
    ap.add_argument("--model-calls", type=int, default=int(
        os.environ.get("MUTATION_MODEL_CALLS", "20000")))
    ap.add_argument("--test-timeout", type=int, default=60,
                    help="seconds a unit test may run (a hung one is a kill)")
    ap.add_argument("--stage-timeout", type=int, default=900)
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the unmutated run")
    ap.add_argument("--merge", default="",
                    help="comma-separated report.json files: report on "
                    "them, run nothing")
    ap.add_argument("--stages", default="unit,model,stress",
                    help="the runners to use, of unit,model,stress (a "
                    "survivor of fewer runners is no survivor of all)")
    args = ap.parse_args()
    args.stages = set(args.stages.split(","))
    if not args.stages <= {"unit", "model", "stress"}:
        print("mutation: --stages takes unit, model, stress")
        return 2

    mutants, errors = parse(args.list)
    if args.only:
        want = set(args.only.split(","))
        unknown = want - {m.id for m in mutants}
        if unknown:
            print("mutation: unknown mutant(s): %s" % ", ".join(sorted(unknown)))
            return 2
        mutants = [m for m in mutants if m.id in want]
    stale = []
    for m in mutants:
        orig, why = mutated_text(m)
        if orig is None:
            stale.append("%s (%s:%d): %s" % (m.id, os.path.relpath(args.list, ROOT),
                                              m.line, why))
    folders = sorted({m.folder for m in mutants})
    print("mutation: %d mutants in %s; %d stale" % (len(mutants),
                                                  ", ".join(folders), len(stale)))
    for s in stale + errors:
        print("mutation: STALE " + s)
    if args.check:
        return 1 if stale or errors else 0
    if args.merge:
        files = args.merge.split(",")
        results = merge(mutants, files)
        text, failed = report(results, errors, 0, args,
                              how="merged from %d report%s" % (
                                  len(files), "s" if len(files) > 1 else ""))
        print("\n".join(text.splitlines()[:16]))
        print("mutation: report in %s" % os.path.relpath(
            os.path.join(OUT, "report.md"), ROOT))
        return 1 if failed else 0

    t0 = time.time()
    files = repo_files()
    workers = [Worker(i, files, sys.stdout) for i in range(max(1, args.jobs))]
    # Baseline: every worker builds the unmutated tree (so later builds are
    # incremental); the unmutated tests must pass, or nothing below means
    # anything.
    for w in workers:
        ok, log = w.make([UNIT_BIN, MODEL_LIB])
        if not ok:
            print(log)
            print("mutation: the unmutated tree does not build")
            return 2
    if not args.no_baseline:
        base = workers[0]
        checks = [("unit", [UNIT_BIN, "--jobs", str(args.jobs)], ASAN_ENV),
                  ("model", [sys.executable, "tests/model/diff_runner.py",
                             "--lib", MODEL_LIB, "--calls",
                             str(args.model_calls), "--seed", "1", "--jobs",
                             str(args.jobs), "--quiet"], {})]
        if any(m.stress for m in mutants):
            checks.append(("stress", ["make", "--no-print-directory", "-j%d" %
                                      args.jobs, "test-stress"], {}))
        for name, cmd, env in checks:
            if name not in args.stages:
                continue
            rc, out = run(cmd, base.dir, args.stage_timeout * 2, env)
            if rc != 0:
                print(out)
                print("mutation: the unmutated tree fails its %s tests" % name)
                return 2
        print("mutation: baseline passes (%.0f s)" % (time.time() - t0))

    # Slow mutants (headers, stress) first, so no job is left with them last.
    order = sorted(mutants, key=lambda m: (not (m.stress or m.file.endswith(".h")),))
    q = queue.Queue()
    for m in order:
        q.put(m)
    results, lock = {}, threading.Lock()

    def work(w):
        while True:
            try:
                m = q.get_nowait()
            except queue.Empty:
                return
            r = run_mutant(w, m, args)
            with lock:
                results[m.id] = r
                done = len(results)
                print("mutation: [%d/%d] %-40s %-11s %s %s" % (
                    done, len(mutants), m.id, r["status"], r.get("stage", ""),
                    r.get("detail", "") if r["status"] != "survived" else
                    ("(equivalent)" if m.equivalent else "")), flush=True)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ordered = [results[m.id] for m in mutants]
    text, failed = report(ordered, errors, time.time() - t0, args)
    print()
    print("\n".join(text.splitlines()[:12]))
    for r in ordered:
        if r["status"] in ("survived", "stale", "build-error") and not (
                r["status"] == "survived" and r["equivalent"]):
            print("mutation: %s %s: %s:%s  %s  ->  %s" % (
                r["status"].upper(), r["id"], r["file"], r.get("line", "?"),
                r["find"], r["replace"]))
    print("mutation: report in %s" % os.path.relpath(os.path.join(OUT, "report.md"), ROOT))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
