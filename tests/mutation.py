"""`make mutate`: mutation testing of the modules that guard identity, money, hours and access (#28).

For each group below, mutmut plants one small bug at a time (a comparison turned round, a constant changed, a call's
argument dropped, …) in a scratch copy of the tree and runs the tests that reach the mutated function; a mutant the
tests let pass ("survived") is a bug they would not catch. Prints each group's score and every surviving mutant with
its diff, and exits non-zero when the killed share of the judged mutants is below the goal (90 %).

A survivor that changes nothing a caller could see (an equivalent mutant) is listed, with the reason, in
docs/testing.md under "Equivalent mutants" (one line each: `` `name` — reason``); those are left out of the score,
and a listed name that no longer exists is reported so the list stays true.

    python tests/mutation.py [group ...] [--list] [--keep DIR]

Not part of `make test` (minutes, not seconds); run before each release."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.90
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    modules: tuple[str, ...]  # files to mutate
    tests: tuple[str, ...]  # pytest arguments choosing the tests that judge them (mutmut runs, per mutant, only the
    #                          ones among these that reached the mutated function)


# The critical modules (#28) and the tests that judge them. The district's tests run on SQLite only here ("not
# postgresql"): the same code paths, at a fraction of the time.
GROUPS = (
    Group("idcard", "身份证号码（GB 11643 校验码、出生日期、性别）", ("app/services/idcard.py",), ("tests/test_idcard.py",)),
    Group("rules", "“五有”评估", ("app/rules/__init__.py",), ("tests/test_rules.py", "tests/test_rules_bin.py")),
    Group("outbox", "变更捕获与发件箱", ("app/changes.py", "app/outbox.py"), ("tests/test_outbox.py", "tests/test_db.py")),
    Group("points", "积分与兑换", ("app/services/points.py",), ("tests/test_points.py",)),
    Group("signing", "服务证明签名", ("app/signing.py",), ("tests/test_certificate_verify.py",)),
    Group("package", "U盘同步包", ("sync/package.py",), ("tests/test_sync_package.py", "-k", "not postgresql")),
    Group("apply", "区里接收各站数据", ("sync/server/apply.py",),
          ("tests/test_sync_trust.py", "tests/test_sync_ownership.py", "tests/test_server_fuzz.py", "-k", "not postgresql")),
    Group("signin", "扫码签到", ("app/signin.py",), ("tests/test_signin.py",)),
)


@dataclass
class Outcome:
    group: Group
    counts: dict[str, int]
    survivors: list[tuple[str, str]]  # (name, diff)
    equivalent: list[str]
    seconds: float

    @property
    def judged(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in ("skipped", "not checked")) - len(self.equivalent)

    @property
    def killed(self) -> int:
        # A mutant that made the tests time out or crash was caught, as a killed one was.
        return sum(self.counts.get(s, 0) for s in ("killed", "timeout", "segfault", "suspicious"))

    @property
    def score(self) -> float:
        return self.killed / self.judged if self.judged else 1.0


def equivalents() -> dict[str, str]:
    """name → reason, from docs/testing.md."""
    if not EQUIVALENTS_DOC.exists():
        return {}
    found = {}
    for line in EQUIVALENTS_DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*[-*]\s*`([\w.]+__mutmut_\d+)`\s*[—-]+\s*(.+)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def _copy_tree(target: Path) -> None:
    """The working tree as it is (committed or not), without the venv, caches and build output."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _config(group: Group) -> str:
    def toml_list(values) -> str:
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"

    packages = sorted({m.split("/")[0] for m in group.modules})
    return ("\n[tool.mutmut]\n"
            f"source_paths = {toml_list(packages)}\n"
            f"only_mutate = {toml_list(group.modules)}\n"
            f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
            f"also_copy = {toml_list(['app', 'sync', 'ui', 'resources', 'tests', 'bench', 'installer'])}\n")


def run_group(group: Group, work: Path, mutmut: str, known: dict[str, str]) -> Outcome:
    tree = work / group.key
    tree.mkdir(parents=True)
    _copy_tree(tree)
    with open(tree / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(_config(group))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(tree)}
    started = time.monotonic()
    run = subprocess.run([mutmut, "run", "--max-children", "2"], cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if run.returncode != 0 and "mutations/second" not in run.stdout:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        raise SystemExit(f"mutmut failed for {group.key}")
    listed = subprocess.run([mutmut, "results", "--all", "true"], cwd=tree, env=env, capture_output=True, text=True).stdout
    counts: dict[str, int] = {}
    survived = []
    for line in listed.splitlines():
        m = re.match(r"^\s*([\w.]+__mutmut_\d+): (.+)$", line)
        if not m:
            continue
        name, status = m.group(1), m.group(2).strip()
        counts[status] = counts.get(status, 0) + 1
        if status in ("survived", "no tests"):
            survived.append(name)
    equivalent = [n for n in survived if n in known]
    survivors = []
    for name in survived:
        if name in known:
            continue
        diff = subprocess.run([mutmut, "show", name], cwd=tree, env=env, capture_output=True, text=True).stdout
        survivors.append((name, "\n".join(diff.splitlines()[1:])))
    return Outcome(group, counts, survivors, equivalent, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mutation testing of the critical modules (#28).")
    parser.add_argument("groups", nargs="*", help="only these groups (default: all)")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--keep", metavar="DIR", help="keep the scratch trees in DIR (to look at a mutant afterwards)")
    args = parser.parse_args(argv)
    if args.list:
        for g in GROUPS:
            print(f"{g.key:10} {g.title}: {', '.join(g.modules)}  ← {' '.join(g.tests)}")
        return 0
    chosen = [g for g in GROUPS if not args.groups or g.key in args.groups]
    unknown = set(args.groups) - {g.key for g in GROUPS}
    if unknown:
        parser.error(f"unknown group: {', '.join(sorted(unknown))}")
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if mutmut is None:
        parser.error("mutmut is not installed in this venv (make mutate installs it)")
    known = equivalents()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="station-mutate-"))
    outcomes = []
    try:
        for group in chosen:
            print(f"== {group.key}: {group.title} …", flush=True)
            outcome = run_group(group, work, mutmut, known)
            outcomes.append(outcome)
            print(f"   {outcome.killed}/{outcome.judged} killed ({outcome.score:.1%}) in {outcome.seconds:.0f} s; "
                  f"equivalent (docs/testing.md): {len(outcome.equivalent)}; counts: {outcome.counts}", flush=True)
            for name, diff in outcome.survivors:
                print(f"   SURVIVED {name}\n" + "\n".join("      " + line for line in diff.splitlines()), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    killed, judged = sum(o.killed for o in outcomes), sum(o.judged for o in outcomes)
    seen = {name for o in outcomes for name in o.equivalent}
    stale = sorted(n for n in known if any(n.startswith(m.replace("/", ".").removesuffix(".py").removesuffix(".__init__"))
                                              for o in outcomes for m in o.group.modules) and n not in seen)
    print("\n| group | killed | judged | score | equivalent | survived | time |\n|---|---|---|---|---|---|---|")
    for o in outcomes:
        print(f"| {o.group.key} | {o.killed} | {o.judged} | {o.score:.1%} | {len(o.equivalent)} | {len(o.survivors)} | {o.seconds:.0f} s |")
    total = killed / judged if judged else 1.0
    print(f"| **all** | {killed} | {judged} | **{total:.1%}** | {len(seen)} | {sum(len(o.survivors) for o in outcomes)} | "
          f"{sum(o.seconds for o in outcomes):.0f} s |")
    if stale:
        print("\nListed as equivalent in docs/testing.md but not a survivor any more (renumbered or killed): " + ", ".join(stale))
    print(f"\nGoal ≥ {GOAL:.0%} killed: {'met' if total >= GOAL else 'NOT met'}")
    return 0 if total >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
