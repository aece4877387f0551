"""Identity-resolution benchmark: import three sources with `crm import`, score against truth.

    .venv/bin/python bench/run.py --size 10000 --splink
    .venv/bin/python bench/run.py --size 10000 --db postgresql
    .venv/bin/python bench/run.py --size 10000 --profile     # pyinstrument text per import

Steps:
1. generate bench/data/<size>/ if missing (bench/generate.py, seed 42);
2. make a fresh database: a SQLite file bench/out/bench-<size>.sqlite, or a new PostgreSQL
   database on postgresql://postgres@127.0.0.1:5432 (dropped at the end unless --keep);
3. run `crm init`, then `crm import FILE --source NAME` for shop.csv, crm_export.csv and
   events.jsonl, each as a child process with CRM_DATABASE_URL set; wall time and the
   child's own peak RSS (os.wait4 rusage) are measured per command;
4. read every source record's profile (following merged_into_id to the survivor) and the
   open review pairs (duplicate_candidates), and score them against truth.csv;
5. with --splink, run bench/splink_peer.py on the same files as a child process and score
   its clusters the same way;
6. print a table and write bench/out/results-<size>-<db>.json.

Scoring is pairwise over records: a predicted pair is two records in the same cluster
(profile), a true pair two records of the same person. Precision = correct predicted pairs
/ predicted pairs, recall = correct predicted pairs / true pairs. Counted from the
cluster x person contingency table (sum of n*(n-1)/2), never by listing pairs. A record
the importer rejected counts as a cluster of its own. "auto + review" treats every open
review pair as if a person had accepted it: the two profiles' clusters are joined.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402

OUT = BENCH / "out"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
IMPORTS = (("shop", "shop.csv"), ("crm_export", "crm_export.csv"), ("events", "events.jsonl"))


# --------------------------------------------------------------------------- processes
def run_child(cmd: list[str], env: dict, log: Path, label: str) -> dict:
    """Run cmd to completion; its wall seconds, peak RSS (MB) and last stdout line.

    stderr goes to log; every 30 s the last progress line is echoed so a long run shows life.
    The child's resident memory is sampled every 5 s (rss_trace: [seconds, MB]), to show
    whether it levels off or keeps growing with the file.
    """
    started = time.perf_counter()
    trace: list[list[float]] = []
    with open(log, "ab") as err, open(log.with_suffix(".stdout"), "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=ROOT)
        next_note, next_sample = started + 30, started + 5
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.2)
            now = time.perf_counter()
            if now >= next_sample:
                next_sample += 5
                rss = _rss_mb(proc.pid)
                if rss is not None:
                    trace.append([round(now - started, 1), rss])
            if now >= next_note:
                next_note += 30
                rss = f"{trace[-1][1]:.0f} MB" if trace else "?"
                line = _last_line(log)
                print(f"    {label}: {now - started:6.0f} s  rss {rss}  {line}", flush=True)
    seconds = time.perf_counter() - started
    stdout = log.with_suffix(".stdout").read_text(errors="replace").strip().splitlines()
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed (exit {proc.returncode}); see {log}\n{_tail(log)}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
        "last_line": stdout[-1] if stdout else "",
        "rss_trace": trace,
    }


def _rss_mb(pid: int) -> float | None:
    """Resident set size of a running process in MB (Linux), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _last_line(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(max(0, f.seek(0, 2) - 400))
        lines = f.read().decode(errors="replace").strip().splitlines()
    return lines[-1][:120] if lines else ""


def _tail(path: Path, n: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:])


# --------------------------------------------------------------------------- databases
def fresh_database(kind: str, size: int) -> tuple[str, callable]:
    """A URL of an empty database and a function that removes it."""
    if kind == "sqlite":
        path = OUT / f"bench-{size}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    import psycopg

    name = f"crm_bench_{size}_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def read_outcome(url: str) -> dict:
    """Source record -> live profile, open review pairs and merge counts from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        merged_into = dict(
            conn.execute(
                text("SELECT id, merged_into_id FROM profiles WHERE merged_into_id IS NOT NULL")
            ).all()
        )

        def live(profile_id):
            seen = 0
            while profile_id in merged_into and seen < 1000:
                profile_id = merged_into[profile_id]
                seen += 1
            return profile_id

        records = {
            (source, ext): live(pid)
            for source, ext, pid in conn.execute(
                text(
                    "SELECT s.name, r.external_id, r.profile_id FROM source_records r "
                    "JOIN sources s ON s.id = r.source_id"
                )
            )
        }
        review = [
            (live(a), live(b))
            for a, b in conn.execute(
                text(
                    "SELECT profile_a_id, profile_b_id FROM duplicate_candidates "
                    "WHERE status = 'open'"
                )
            )
        ]
        merges = dict(conn.execute(text("SELECT rule, COUNT(*) FROM merges GROUP BY rule")).all())
        profiles = conn.execute(
            text("SELECT COUNT(*) FROM profiles WHERE merged_into_id IS NULL")
        ).scalar()
    engine.dispose()
    return {"records": records, "review": review, "merges": merges, "profiles": profiles}


# --------------------------------------------------------------------------- scoring
def load_truth(folder: Path) -> dict[tuple[str, str], int]:
    with open(folder / "truth.csv", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return {(s, e): int(p) for s, e, p in reader}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(clusters: dict, truth: dict) -> dict:
    """Pairwise precision, recall and F1 of a clustering (record key -> cluster id)."""
    joint, by_cluster, by_person = Counter(), Counter(), Counter()
    missing = 0
    for key, person in truth.items():
        cluster = clusters.get(key)
        if cluster is None:
            missing += 1
            cluster = ("unplaced", key)
        joint[(cluster, person)] += 1
        by_cluster[cluster] += 1
        by_person[person] += 1
    tp = sum(_pairs(n) for n in joint.values())
    predicted = sum(_pairs(n) for n in by_cluster.values())
    true = sum(_pairs(n) for n in by_person.values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": true,
        "predicted_pairs": predicted,
        "correct_pairs": tp,
        "unplaced_records": missing,
        "clusters": len(by_cluster),
        "persons": len(by_person),
    }


def recall_by_source_pair(clusters: dict, truth: dict) -> dict[str, dict]:
    """Recall per pair of sources (e.g. 'crm_export+events'), from the true pairs.

    True pairs are listed person by person (a person has a handful of records), so this
    stays linear in the records.
    """
    people: dict[int, list] = {}
    for key, person in truth.items():
        people.setdefault(person, []).append(key)
    total, found = Counter(), Counter()
    for keys in people.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                kind = "+".join(sorted((a[0], b[0])))
                total[kind] += 1
                ca, cb = clusters.get(a), clusters.get(b)
                if ca is not None and ca == cb:
                    found[kind] += 1
    return {
        k: {"true_pairs": total[k], "found": found[k], "recall": found[k] / total[k]}
        for k in sorted(total)
    }


def join_review(clusters: dict, pairs: list[tuple]) -> dict:
    """Clusters after accepting every review pair (union-find over cluster ids)."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return {key: find(c) for key, c in clusters.items()}


# --------------------------------------------------------------------------- runs
def run_crm(args, folder: Path) -> dict:
    url, drop = fresh_database(args.db, args.size)
    env = {**os.environ, "CRM_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    python = sys.executable
    crm_script = str(Path(sys.executable).parent / "crm")
    log = OUT / f"crm-{args.size}-{args.db}.log"
    log.unlink(missing_ok=True)
    steps = []
    try:
        print(f"  crm init ({args.db})", flush=True)
        init = run_child([crm_script, "init"], env, log, "init")
        steps.append({"step": "init", **init})
        for source, filename in IMPORTS:
            cmd = [crm_script, "import", str(folder / filename), "--source", source]
            if args.batch_size:
                cmd += ["--batch-size", str(args.batch_size)]
            if args.profile:
                report_path = OUT / f"profile-{args.size}-{args.db}-{source}.txt"
                cmd = [python, "-m", "pyinstrument", "-r", "text", "-o", str(report_path), *cmd]
            print(f"  crm import {filename} --source {source}", flush=True)
            result = run_child(cmd, env, log, source)
            try:
                summary = json.loads(result["last_line"])
            except ValueError:
                summary = {}
            steps.append({"step": source, **result, "summary": summary})
            print(
                f"    {result['seconds']:.1f} s ({result['cpu_seconds']:.1f} s CPU), "
                f"peak RSS {result['peak_rss_mb']:.0f} MB, "
                f"{json.dumps(summary)}",
                flush=True,
            )
        outcome = read_outcome(url)
    finally:
        if not args.keep:
            drop()
    return {"steps": steps, "outcome": outcome, "url": url}


def run_splink(args, folder: Path) -> dict:
    out = OUT / f"splink-{args.size}.csv"
    log = OUT / f"splink-{args.size}.log"
    log.unlink(missing_ok=True)
    print("  splink (DuckDB)", flush=True)
    result = run_child(
        [
            sys.executable,
            str(BENCH / "splink_peer.py"),
            str(folder),
            str(out),
            "--threshold",
            str(args.splink_threshold),
        ],
        {**os.environ, "PYTHONUNBUFFERED": "1"},
        log,
        "splink",
    )
    clusters = {}
    with open(out, newline="") as f:
        for row in csv.DictReader(f):
            source, _, ext = row["unique_id"].partition("|")
            clusters[(source, ext)] = row["cluster_id"]
    return {**result, "clusters": clusters, "phases": json.loads(result["last_line"])}


def _git_state() -> str:
    """The commit measured, and whether crm/ had uncommitted changes."""

    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short", "HEAD").strip()
    dirty = git("status", "--porcelain", "crm", "migrations").strip()
    return f"{head}{' + uncommitted changes in crm/' if dirty else ''}"


def fmt_row(cells, widths) -> str:
    return "  ".join(
        str(c).rjust(w) if i else str(c).ljust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="source records in total")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--splink", action="store_true", help="also run the Splink peer")
    parser.add_argument("--splink-threshold", type=float, default=0.95)
    parser.add_argument("--no-crm", action="store_true", help="skip our importer")
    parser.add_argument("--batch-size", type=int, default=None, help="crm import --batch-size")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each import under pyinstrument (text report in bench/out/)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    folder = BENCH / "data" / str(args.size)
    if not generate.is_generated(args.size, args.seed):
        t = time.perf_counter()
        print(f"generating {args.size} records into {folder} ...", flush=True)
        generate.generate(args.size, args.seed)
        print(f"  {time.perf_counter() - t:.1f} s", flush=True)
    meta = json.loads((folder / "meta.json").read_text())
    truth = load_truth(folder)
    print(f"{len(truth)} records of {meta['persons']} people: {meta['records']}", flush=True)

    rows, report = (
        [],
        {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "size": args.size,
            "seed": args.seed,
            "db": args.db,
            "data": meta,
            "load_average_start": tuple(round(x, 2) for x in os.getloadavg()),
            "git": _git_state(),
        },
    )
    if not args.no_crm:
        crm = run_crm(args, folder)
        imports = [s for s in crm["steps"] if s["step"] != "init"]
        seconds = sum(s["seconds"] for s in imports)
        cpu = sum(s["cpu_seconds"] for s in imports)
        rss = max(s["peak_rss_mb"] for s in imports)
        outcome = crm["outcome"]
        auto = pairwise(outcome["records"], truth)
        both = pairwise(join_review(outcome["records"], outcome["review"]), truth)
        label = f"crm {args.db}"
        auto["by_source_pair"] = recall_by_source_pair(outcome["records"], truth)
        rows.append((f"{label}: auto", len(truth), seconds, cpu, rss, auto))
        rows.append((f"{label}: auto+review", len(truth), seconds, cpu, rss, both))
        report["crm"] = {
            "steps": [{k: v for k, v in s.items() if k != "last_line"} for s in crm["steps"]],
            "import_seconds": seconds,
            "import_cpu_seconds": cpu,
            "peak_rss_mb": rss,
            "auto": auto,
            "auto_plus_review": both,
            "review_pairs": len(outcome["review"]),
            "merges": outcome["merges"],
            "live_profiles": outcome["profiles"],
        }
    if args.splink:
        sp = run_splink(args, folder)
        score = pairwise(sp["clusters"], truth)
        score["by_source_pair"] = recall_by_source_pair(sp["clusters"], truth)
        rows.append(
            (
                f"splink p>={args.splink_threshold}",
                len(truth),
                sp["seconds"],
                sp["cpu_seconds"],
                sp["peak_rss_mb"],
                score,
            )
        )
        report["splink"] = {
            "seconds": sp["seconds"],
            "cpu_seconds": sp["cpu_seconds"],
            "peak_rss_mb": sp["peak_rss_mb"],
            "phases": sp["phases"],
            "score": score,
        }

    report["load_average_end"] = os.getloadavg()
    widths = (26, 8, 8, 8, 7, 7, 9, 8, 8, 10, 10)
    print(
        f"\nload average: start {report['load_average_start']}, end "
        f"{tuple(round(x, 2) for x in report['load_average_end'])} ({os.cpu_count()} CPUs)"
    )
    print(
        fmt_row(
            (
                "system",
                "records",
                "seconds",
                "CPU s",
                "rec/s",
                "RSS MB",
                "precision",
                "recall",
                "F1",
                "pred.pairs",
                "true pairs",
            ),
            widths,
        )
    )
    for name, n, secs, cpu, rss, s in rows:
        print(
            fmt_row(
                (
                    name,
                    n,
                    f"{secs:.1f}",
                    f"{cpu:.1f}",
                    f"{n / secs:.0f}",
                    f"{rss:.0f}",
                    f"{s['precision']:.4f}",
                    f"{s['recall']:.4f}",
                    f"{s['f1']:.4f}",
                    s["predicted_pairs"],
                    s["true_pairs"],
                ),
                widths,
            )
        )
    if "crm" in report:
        c = report["crm"]
        print(
            f"\ncrm: {c['live_profiles']} live profiles, merges by rule {c['merges']}, "
            f"{c['review_pairs']} open review pairs, "
            f"{c['auto']['unplaced_records']} records not imported"
        )
        for s in c["steps"][1:]:
            n = s["summary"].get("rows") or meta["records"].get(s["step"], 0)
            print(
                f"  {s['step']:<11} {s['seconds']:8.1f} s  {s['cpu_seconds']:7.1f} s CPU  "
                f"{n / s['seconds']:7.0f} rows/s  "
                f"peak RSS {s['peak_rss_mb']:5.0f} MB  {json.dumps(s['summary'])}"
            )
    if "splink" in report:
        print(f"splink phases (s): {report['splink']['phases']['seconds']}")
    breakdown = [(name, s["by_source_pair"]) for name, *_, s in rows if "by_source_pair" in s]
    if breakdown:
        kinds = list(breakdown[0][1])
        print("\nrecall by source pair (true pairs):")
        for kind in kinds:
            cells = "  ".join(
                f"{name.split(':')[0]} {b[kind]['recall']:.3f}" for name, b in breakdown
            )
            print(f"  {kind:<22} {breakdown[0][1][kind]['true_pairs']:>8}   {cells}")
    suffix = "-profile" if args.profile else ("-splink" if args.no_crm else "")
    result_path = OUT / f"results-{args.size}-{args.db}{suffix}.json"
    result_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten {result_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
