"""The peer: Splink 4 on DuckDB resolving the same three files (bench/run.py --splink).

    .venv/bin/python bench/splink_peer.py bench/data/10000 bench/out/splink-10000.csv

Reads shop.csv, crm_export.csv and events.jsonl, normalises them into one table
(first_name, last_name, birth_date, email, phone, postcode, city, company), trains a
Fellegi-Sunter model (u by random sampling, m by expectation maximisation on three
blocking rules), predicts pairs over the blocking rules below, clusters at
--threshold and writes unique_id,cluster_id (unique_id = "source|external_id").
Prints one JSON line last with timings per phase and the pairs each blocking rule adds.

Normalisation is what a person would write for Splink in an afternoon: lower case, accents
stripped, phones to digits with the Italian country code, day-first dates to ISO, full
names split on the last space. It is deliberately no cleverer than that.

Blocking rules must not grow with the square of the records. At 1M records common names
make name-only blocks huge ("sofia rossi" is ~5,000 records, 12M pairs on its own), so EM
trains on last name + birth date, email and phone, never on first + last name alone (120M
pairs at 1M), and the loosest prediction rule (first three letters of the first name +
last name + city) blocks on a key left empty when more than MAX_BLOCK records share it
(block purging), which bounds it by (MAX_BLOCK - 1) / 2 pairs per record: pairs in bigger
blocks have little more than a common name and a city in common and almost never reach
the threshold. The other name rules still grow faster than the records (x19-25 from 100k
to 1M) but stay under 200k pairs each at 1M. Pairs per rule are counted before training;
a rule above MAX_PAIRS stops the run.
"""

import argparse
import csv
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import (
    count_comparisons_from_blocking_rule,
    cumulative_comparisons_to_be_scored_from_blocking_rules_data,
)

_NON_DIGIT = re.compile(r"\D+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")

MAX_BLOCK = 10  # records sharing a name_city key above which the key is left empty
MAX_PAIRS = 1e8  # squared block sizes a training or prediction blocking rule may sum to


def fold(text: str | None) -> str | None:
    """Lower case, no accents, no punctuation; None when empty."""
    if not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = " ".join(_NON_WORD.sub(" ", plain).split())
    return plain or None


def phone(text: str | None) -> str | None:
    """Digits with country code: '+39 333 1234567', '0039...', '333...' -> '393331234567'."""
    if not text:
        return None
    text = text.strip()
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+"):
        return digits or None
    if digits.startswith("00"):
        return digits[2:] or None
    return ("39" + digits) if digits else None


def day_first(text: str | None) -> str | None:
    """'8/2/1967' -> '1967-02-08'."""
    if not text:
        return None
    try:
        d, m, y = (int(x) for x in text.split("/"))
        return f"{y:04d}-{m:02d}-{d:02d}"
    except ValueError:
        return None


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """'Mario Rossi' -> (Mario, Rossi); 'ROSSI Mario' -> (Mario, ROSSI)."""
    parts = (full or "").split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0], None
    if parts[0].isupper() and len(parts[0]) > 1 and not parts[-1].isupper():
        return " ".join(parts[1:]), parts[0]
    return " ".join(parts[:-1]), parts[-1]


def load(folder: Path) -> pd.DataFrame:
    """The three files as one normalised table."""
    rows = []
    with open(folder / "shop.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rows.append(
                (
                    "shop|" + r["customer_id"],
                    r["first_name"],
                    r["last_name"],
                    r["date_of_birth"] or None,
                    r["email"],
                    phone(r["phone"]),
                    r["postcode"],
                    r["city"],
                    None,
                )
            )
    with open(folder / "crm_export.csv", encoding="cp1252", newline="") as f:
        for r in csv.DictReader(f, delimiter=";"):
            rows.append(
                (
                    "crm_export|" + r["Codice cliente"],
                    r["Nome"],
                    r["Cognome"],
                    day_first(r["Data di nascita"]),
                    r["E-mail"],
                    phone(r["Cellulare"]),
                    r["CAP"],
                    r["Città"],
                    r["Azienda"],
                )
            )
    with open(folder / "events.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            first, last = split_name(r.get("name"))
            rows.append(
                (
                    "events|" + r["id"],
                    first,
                    last,
                    None,
                    r.get("email"),
                    None,
                    None,
                    r.get("city"),
                    r.get("company"),
                )
            )
    columns = [
        "unique_id",
        "first_name",
        "last_name",
        "birth_date",
        "email",
        "phone",
        "postcode",
        "city",
        "company",
    ]
    clean = []
    for uid, first, last, birth, email, tel, postcode, city, company in rows:
        clean.append(
            (
                uid,
                fold(first),
                fold(last),
                (birth or "").strip() or None,
                (email or "").strip().lower() or None,
                tel,
                (postcode or "").strip() or None,
                fold(city),
                fold(company),
            )
        )
    df = pd.DataFrame(clean, columns=columns, dtype=object)
    df["name_city"] = name_city(df)
    return df


def name_city(df: pd.DataFrame) -> pd.Series:
    """'fra|rossi|roma' (first three letters, last name, city); None in blocks > MAX_BLOCK."""
    key = df["first_name"].str[:3] + "|" + df["last_name"] + "|" + df["city"]
    keep = key.notna() & (key.map(key.value_counts()) <= MAX_BLOCK)
    return key.astype(object).where(keep, None)


def settings() -> SettingsCreator:
    """Blocking rules and comparisons."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("last_name", "birth_date"),
            block_on("first_name", "last_name", "postcode"),
            block_on("first_name", "last_name", "company"),
            block_on("name_city"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.EmailComparison("email"),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("company", [0.95, 0.88]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


EM_RULES = [
    block_on("last_name", "birth_date"),
    block_on("email"),
    block_on("phone"),
]


def count_pairs(df: pd.DataFrame, db_api: DuckDBAPI, settings: SettingsCreator) -> dict:
    """Pairs per blocking rule, counted before anything is scored or trained.

    Prediction rules: the pairs each rule adds to those of the rules before it (what
    predict() scores). EM rules: the pairs each rule generates. Splink's blocking analysis
    first sums the squared block sizes (cheap); a rule above MAX_PAIRS raises ValueError.
    """
    rules = settings.blocking_rules_to_generate_predictions
    predict = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=df,
        blocking_rules=rules,
        link_type="dedupe_only",
        db_api=db_api,
        max_rows_limit=int(MAX_PAIRS),
    )
    train = {}
    for rule in EM_RULES:
        count = count_comparisons_from_blocking_rule(
            table_or_tables=df,
            blocking_rule=rule,
            link_type="dedupe_only",
            db_api=db_api,
            max_rows_limit=int(MAX_PAIRS),
        )
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        post = count["number_of_comparisons_to_be_scored_post_filter_conditions"]
        if isinstance(post, str):
            pre = count["number_of_comparisons_generated_pre_filter_conditions"]
            raise ValueError(f"EM blocking rule {sql} would generate ~{pre / 2:.3g} pairs")
        train[sql] = int(post)
    added = zip(predict["blocking_rule"], predict["row_count"], strict=True)
    return {"predict": {r: int(c) for r, c in added}, "train": train}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.95,
        help="match probability at which pairs are clustered",
    )
    args = parser.parse_args()
    times = {}
    t0 = time.perf_counter()
    df = load(args.folder)
    times["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    db_api = DuckDBAPI()
    model = settings()
    pairs = count_pairs(df, db_api, model)
    times["count_pairs"] = time.perf_counter() - t

    t = time.perf_counter()
    linker = Linker(df, model, db_api=db_api)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    times["train"] = time.perf_counter() - t

    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    times["predict"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=args.threshold
    )
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    times["cluster"] = time.perf_counter() - t

    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    times["total"] = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "records": len(df),
                "seconds": {k: round(v, 2) for k, v in times.items()},
                "threshold": args.threshold,
                "pairs": pairs,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
