"""The peer: Splink 4 on DuckDB resolving the same three files (bench/run.py --splink).

    .venv/bin/python bench/splink_peer.py bench/data/10000 bench/out/splink-10000.csv

Reads shop.csv, crm_export.csv and events.jsonl, normalises them into one table
(first_name, last_name, birth_date, email, phone, postcode, city, company), trains a
Fellegi-Sunter model (u by random sampling, m by expectation maximisation on three
blocking rules), predicts pairs over the blocking rules below, clusters at
--threshold and writes unique_id,cluster_id (unique_id = "source|external_id").
Prints one JSON line last with timings per phase.

Normalisation is what a person would write for Splink in an afternoon: lower case, accents
stripped, phones to digits with the Italian country code, day-first dates to ISO, full
names split on the last space. It is deliberately no cleverer than that.
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

_NON_DIGIT = re.compile(r"\D+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


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
    return pd.DataFrame(clean, columns=columns, dtype=object)


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
            block_on("substr(first_name, 1, 3)", "last_name", "city"),
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
    linker = Linker(df, settings(), db_api=DuckDBAPI())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("last_name", "birth_date")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
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
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
