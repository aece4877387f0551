"""`crm duplicates export`: the review queue as JSON Lines, audited by count only."""

import json

from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog
from crm.services import duplicates
from tests import factories


def _queue(score: float, reasons: list[str]):
    """A committed open pair of two new profiles."""
    a, b = factories.make_profile(), factories.make_profile()
    candidate = duplicates.propose(b.id, a.id, score, reasons)
    db.session.commit()
    return candidate


def test_export_writes_one_open_pair_per_line(runner, tmp_path):
    low = _queue(0.55, ["postcode: same"])
    high = _queue(0.91, ["last name: exact", "birth date: same"])
    decided = _queue(0.97, ["name: exact"])
    duplicates.decide(decided.id, "distinct", actor="test")
    out = tmp_path / "queue.jsonl"
    result = runner.invoke(args=["duplicates", "export", "--format", "jsonl", "--output", out])
    assert result.exit_code == 0, (result.output, result.exception)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "a": high.profile_a_id,
            "b": high.profile_b_id,
            "score": 0.91,
            "reasons": ["last name: exact", "birth date: same"],
        },
        {
            "a": low.profile_a_id,
            "b": low.profile_b_id,
            "score": 0.55,
            "reasons": ["postcode: same"],
        },
    ]
    assert high.profile_a_id < high.profile_b_id


def test_export_to_stdout_by_default(runner):
    pair = _queue(0.8, ["company: same"])
    result = runner.invoke(args=["duplicates", "export"])
    assert result.exit_code == 0, (result.output, result.exception)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [
        {"a": pair.profile_a_id, "b": pair.profile_b_id, "score": 0.8, "reasons": ["company: same"]}
    ]


def test_export_is_audited_with_the_count_only(runner, tmp_path):
    _queue(0.8, ["company: same"])
    _queue(0.7, ["city: same"])
    result = runner.invoke(args=["duplicates", "export", "--output", tmp_path / "q.jsonl"])
    assert result.exit_code == 0, (result.output, result.exception)
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "duplicates.export"))
    [entry] = list(entries)
    assert entry.details == {"count": 2}
    assert entry.actor_label == "cli"


def test_export_of_an_empty_queue_writes_nothing(runner):
    result = runner.invoke(args=["duplicates", "export"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == ""
