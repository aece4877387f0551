"""How hard is a generated data set? The recall a matcher could reach with each kind of evidence.

    .venv/bin/python bench/evidence.py --size 10000

For each person in truth.csv, joins their records with edges of growing tiers of evidence
and counts the true pairs that end up connected (transitively: A-B by email and B-C by
phone connect A-C). Normalisation is the simple one of bench/splink_peer.py.

  identifiers   same email (case-insensitive) or same phone (digits, country code)
  + name+dob    same first and last name (folded) and same birth date
  + name+place  same first and last name and same postcode or same city
  + name+company same first and last name and the same first word of the company name
  any name      same last name, or same first name (what is left needs nicknames,
                typos or swapped fields to be resolved)

The "identifiers" row is the ceiling of deterministic matching; the DESIGN target of
recall 0.97 is only reachable on the pairs that some evidence connects.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import load_truth  # noqa: E402
from splink_peer import load  # noqa: E402

TIERS = ("identifiers", "+ name+dob", "+ name+place", "+ name+company", "any name")


def edges(a: dict, b: dict) -> int | None:
    """The lowest tier whose evidence links records a and b, or None."""
    if (a["email"] and a["email"] == b["email"]) or (a["phone"] and a["phone"] == b["phone"]):
        return 0
    same_name = (
        a["first_name"]
        and a["first_name"] == b["first_name"]
        and a["last_name"]
        and (a["last_name"] == b["last_name"])
    )
    if same_name and a["birth_date"] and a["birth_date"] == b["birth_date"]:
        return 1
    if same_name and (
        (a["postcode"] and a["postcode"] == b["postcode"]) or (a["city"] and a["city"] == b["city"])
    ):
        return 2
    if same_name and a["company"] and b["company"]:
        if a["company"].split()[0] == b["company"].split()[0]:
            return 3
    if (a["last_name"] and a["last_name"] == b["last_name"]) or (
        a["first_name"] and a["first_name"] == b["first_name"]
    ):
        return 4
    return None


def connected_pairs(n: int, links: list[tuple[int, int]]) -> int:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    sizes = defaultdict(int)
    for i in range(n):
        sizes[find(i)] += 1
    return sum(s * (s - 1) // 2 for s in sizes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    folder = BENCH / "data" / str(args.size)
    truth = load_truth(folder)
    df = load(folder)
    people = defaultdict(list)
    for rec in df.to_dict("records"):
        source, _, ext = rec["unique_id"].partition("|")
        people[truth[(source, ext)]].append(rec)
    true_pairs = sum(len(r) * (len(r) - 1) // 2 for r in people.values())
    reached = [0] * len(TIERS)
    for recs in people.values():
        if len(recs) < 2:
            continue
        tiered = []
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                tier = edges(recs[i], recs[j])
                if tier is not None:
                    tiered.append((tier, i, j))
        for t in range(len(TIERS)):
            reached[t] += connected_pairs(len(recs), [(i, j) for k, i, j in tiered if k <= t])
    print(f"{len(df)} records, {len(people)} people, {true_pairs} true pairs")
    print(f"{'evidence (cumulative)':<24} {'pairs':>8} {'recall ceiling':>15}")
    for name, n in zip(TIERS, reached, strict=True):
        print(f"{name:<24} {n:>8} {n / true_pairs:>15.4f}")


if __name__ == "__main__":
    main()
