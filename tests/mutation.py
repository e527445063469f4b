"""`make mutate`: mutation testing of the modules that guard identity, money, hours and access (#28).

For each group below, mutmut plants one small bug at a time (a comparison turned round, a constant changed, a call's
argument dropped, …) in one of the functions the group lists, in a scratch copy of the tree, and runs the group's
tests that reach the mutated function; a mutant the tests let pass ("survived") is a bug they would not catch. Prints
each group's score and every surviving mutant with its diff, and exits non-zero when the killed share of the judged
mutants is below the goal (90 %).

A survivor that changes nothing a caller could see (an equivalent mutant) is listed, with the reason, in
docs/testing.md under "Equivalent mutants" (one line each: `` `name` — reason``); those are left out of the score,
and a listed name that no longer exists is reported so the list stays true.

    python tests/mutation.py [group ...] [--list] [--keep DIR]

Not part of `make test` (minutes, not seconds); run before each release."""

from __future__ import annotations

import argparse
import fnmatch
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
    functions: tuple[str, ...] = ()  # the functions mutated, as "module:function" or "module:Class.method" (module as
    #                                  in `modules`, without .py); empty: every function of the modules

    def globs(self) -> list[str]:
        """mutmut's names for the chosen functions' mutants: app.services.points.x_redeem__mutmut_3,
        app.rules.xǁEvaluatorǁteams__mutmut_1 (a package's __init__ is the package)."""
        found = []
        for entry in self.functions:
            module, _, function = entry.partition(":")
            dotted = module.replace("/", ".").removesuffix(".__init__")
            if "." in function:
                cls, method = function.split(".")
                found.append(f"{dotted}.x\u01c1{cls}\u01c1{method}__mutmut_*")
            else:
                found.append(f"{dotted}.x_{function}__mutmut_*")
        return found

    def chosen(self, name: str) -> bool:
        return not self.functions or any(fnmatch.fnmatchcase(name, g) for g in self.globs())


# The critical modules (#28), the functions in them that guard identity, money, hours and access, and the tests
# that judge them. Only the listed functions are mutated: the rest of a module (listing order, page text, error
# wording around a rule) would be minutes of mutants no rule depends on. mutmut does not mutate decorated
# functions (properties, event listeners), so a check that matters is kept in a plain function. The district's
# tests run on SQLite only here ("not postgresql"): the same code paths, at a fraction of the time.
GROUPS = (
    Group("idcard", "身份证号码（GB 11643 校验码、出生日期、性别）", ("app/services/idcard.py",), ("tests/test_idcard.py",), (
        # all of it: each function decides whether a person's number is taken, and which birth date and sex it gives
        "app/services/idcard:normalize", "app/services/idcard:check_char", "app/services/idcard:upgrade_15",
        "app/services/idcard:parse_resident_id", "app/services/idcard:is_valid")),
    Group("rules", "“五有”评估", ("app/rules/__init__.py",), ("tests/test_rules.py", "tests/test_rules_bin.py"), (
        "app/rules/__init__:Rule.target_for",  # which tier a rule applies to, and its target there
        "app/rules/__init__:Period.of",  # the period's first and last day
        "app/rules/__init__:Period.months",  # the months a monthly rule judges
        "app/rules/__init__:Evaluator._done",  # which activities count: done, in the period, this station's, not binned
        "app/rules/__init__:Evaluator._live",
        "app/rules/__init__:Evaluator._volunteer_hours",
        "app/rules/__init__:Evaluator._registered",
        "app/rules/__init__:Evaluator._stock",  # 以上 / 大于: met or missed
        "app/rules/__init__:Evaluator._paced",  # met, on track, at risk, missed for the annual counts
        "app/rules/__init__:Evaluator._percent_verdict",  # the percentages, compared in integers
        "app/rules/__init__:Evaluator.teams", "app/rules/__init__:Evaluator.team_months",
        "app/rules/__init__:Evaluator.team_year_minimum", "app/rules/__init__:Evaluator.registered_percent",
        "app/rules/__init__:Evaluator.active_percent", "app/rules/__init__:Evaluator.party_participation_percent",
        "app/rules/__init__:Evaluator.party_members_with_20_hours_percent",
        "app/rules/__init__:Evaluator.monthly_plans", "app/rules/__init__:Evaluator.managers",
        "app/rules/__init__:Evaluator.run")),  # each rule to its metric, and 不适用 for a tier it does not judge
    Group("outbox", "变更捕获与发件箱", ("app/changes.py", "app/outbox.py"),
          ("tests/test_outbox.py", "tests/test_outbox_queue.py", "tests/test_db.py"), (
        "app/changes:capture_changes",  # every insert/update/delete gets a version and exactly one outbox row
        "app/changes:insert_many",  # the bulk path: the same stamps, checks and outbox rows
        "app/changes:_outbox_values",
        "app/outbox:pending",  # what is sent, in order, and nothing acknowledged or refused
        "app/outbox:pending_count",
        "app/outbox:record_results",  # the district's answer per row: acknowledged, refused, back in the queue
        "app/outbox:_resend_above",  # a row the district holds at a higher version is sent again above it
        "app/outbox:still_rejected", "app/outbox:rejected_count")),
    # Without the property test (25 random histories, in `make test`): here it would make each of ~540 mutants take
    # seconds instead of a fraction of one. The two races stay: they judge the write lock redeem takes.
    Group("points", "积分与兑换", ("app/services/points.py",),
          ("tests/test_points.py", "-k", "not balance_is_always_the_sum"), (
        "app/services/points:balance_in",  # the balance is the sum of live entries
        "app/services/points:Holder.where",  # whose entries
        "app/services/points:add_entry",  # hand entries: never zero, never below a zero balance
        "app/services/points:reverse_entry",  # undo once, not what was already spent
        "app/services/points:earned_and_spent",
        "app/services/points:_round", "app/services/points:_applies", "app/services/points:_rate",
        "app/services/points:activity_points",
        # (settle_activities, which credits each participant once per activity, is not yet in the list: its 182 mutants,
        # mostly paging and progress reports, are the next to judge)
        "app/services/points:_stock_in", "app/services/points:restock",  # stock never below zero
        "app/services/points:redeem")),  # balance and stock checked, both entries written together
    Group("signing", "服务证明签名", ("app/signing.py",), ("tests/test_signing.py", "tests/test_certificate_verify.py"), (
        # all of it: the certificate's QR payload, its signature and the masked name
        "app/signing:b64", "app/signing:unb64", "app/signing:_key_row", "app/signing:public_key", "app/signing:sign",
        "app/signing:verify", "app/signing:CertificatePayload.text", "app/signing:CertificatePayload.parse",
        "app/signing:station_code", "app/signing:mask_name")),
    Group("package", "U盘同步包", ("sync/package.py",), ("tests/test_sync_package.py", "-k", "not postgresql"), (
        "sync/package:token_hash", "sync/package:signing_key", "sync/package:sign", "sync/package:verify",  # the HMAC
        "sync/package:enroll_proof", "sync/package:normalize_code",  # a first package proves the one-time code
        "sync/package:read_member", "sync/package:open_container",  # size limits, format and version checks
        # Member hashes, the signature written last. (import_reply, which counts a reply's answers and applies the rows
        # it carries back, is left out: 182 mutants at ~25 s each; its signature check is open_container and verify.)
        "sync/package:ContainerWriter.add", "sync/package:ContainerWriter.finish")),
    # The apply path called directly (no server: seconds a mutant, not minutes); the same boundaries are tested through
    # the real server on SQLite and PostgreSQL in `make test` (test_sync_trust, test_sync_ownership, test_server_fuzz).
    Group("apply", "区里接收各站数据", ("sync/server/apply.py",), ("tests/test_apply_fast.py",), (
        "sync/server/apply:apply_row",  # station_id, ownership, version and parent checks; the per-row answer
        "sync/server/apply:apply_batch",  # the batch's station, a reused batch id, the answer kept for a resend
        "sync/server/apply:_same_content",  # a resend is told from other content at the same version
        "sync/server/apply:BatchContext.write_one", "sync/server/apply:BatchContext.stage",
        "sync/server/apply:BatchContext.flush")),  # an update touches only the sending station's rows
    Group("signin", "扫码签到", ("signin/server.py",), ("tests/test_signin.py",), (
        "signin/server:service_hours", "signin/server:still_serving",  # the hours credited
        "signin/server:SigninBook.open_session", "signin/server:SigninBook.session_for_token",  # the link's token and expiry
        "signin/server:_Limiter._count", "signin/server:_Limiter.too_many", "signin/server:_Limiter.locked",
        "signin/server:_Limiter.failed")),  # a phone guessing names is locked out
    Group("staff", "区级工作人员登录", ("sync/server/web.py",), ("tests/test_district_security.py", "-k", "sessions_limits"), (
        # A session's 12 hours and 30 idle minutes, judged at their edges by the check's own test; the server-level
        # session tests beside it (a clock moved through a day of pages) check the wiring, in `make test`.
        "sync/server/web:session_live",)),
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
            f"also_copy = {toml_list(['app', 'signin', 'sync', 'ui', 'resources', 'tests', 'bench', 'installer'])}\n")


def run_group(group: Group, work: Path, mutmut: str, known: dict[str, str]) -> Outcome:
    tree = work / group.key
    tree.mkdir(parents=True)
    _copy_tree(tree)
    with open(tree / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(_config(group))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(tree)}
    started = time.monotonic()
    run = subprocess.run([mutmut, "run", "--max-children", "2", *group.globs()], cwd=tree, env=env, capture_output=True,
                         text=True)
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
        if not group.chosen(name):
            continue  # a function outside the group's list: not run, not counted
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
