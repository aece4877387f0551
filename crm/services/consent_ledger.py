"""The consent statements an import appends to profiles' consent histories.

A consent history is append-only: each statement is a ConsentRecord (purpose, status,
legal basis, when, which source, evidence), and a profile's state for a purpose is its
latest statement (profiles.current_consents). An import states what a source said, with
two rules that keep one source's grant from overriding another's withdrawal: a
statement without a time (a plain "yes" column) is stamped when imported and never
lifts another source's withdrawal, and a time in the future is taken as unknown. A "no"
to an opt-in (rows.REFUSED) is the person's answer, and is stored as what it is, a
refusal ("refused": asked, they said no, where "withdrawn" would claim an earlier
grant): it restricts as a withdrawal does (models.RESTRICTIVE), under the same rules,
and its evidence keeps the answer as sent.

A statement's evidence is what its source said (a form's confirmation token, an opt-in
IP), proof of consent that must stay as sent, beside a few keys the CRM writes itself
(SERVER_KEYS); a source's keys of those names are kept, as sent, under SENT_KEY.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from crm.extensions import db
from crm.models import LEGAL_BASES, ConsentRecord
from crm.models.base import utcnow
from crm.models.consent import RESTRICTIVE
from crm.services import sqlin

# The evidence "time" of a consent statement that gave none (a plain "yes" column):
# stamped when imported, its real time unknown.
UNDATED = "unknown: stamped when imported"
# How far ahead of the importer's clock a consent's stated time may be (time zones, clocks).
CONSENT_CLOCK_SKEW = timedelta(days=1)
# The evidence keys the CRM writes beside what a source said: the source and the batch
# that stated it, and for a statement stamped when imported "time" (UNDATED) and
# "stated_at" (the time it gave). Records already stored have them under these names, and
# the ledger and the profile page read them so.
# Also the CRM's: the rule that copied a statement (merging), and for a withdrawal
# restated for the holder of the address it was sent with, which address and whose record
# sent it (ingest._withdrawals_for_holders; an undo leaves such a statement in place).
SERVER_KEYS = (
    "source",
    "batch_id",
    "time",
    "stated_at",
    "rule",
    "held_address",
    "stated_by_profile",
)
# Where a source's evidence keys of those names go, as sent (and its own key of this name,
# so that nothing it sent is mistaken for the CRM's or lost).
SENT_KEY = "as_sent"
RESERVED_KEYS = (*SERVER_KEYS, SENT_KEY)
# The CRM's keys that a page listing a statement's evidence shows in the statement's own
# columns (its source, its time, whose record sent it) or under the source's names
# (SENT_KEY), and so leaves out of the list; the rule that copied a statement is listed
# beside its merge id.
SHOWN_APART = frozenset(RESERVED_KEYS) - {"rule"}


def record_statements(
    entries: list[tuple],
    *,
    source_id: int,
    source_name: str,
    batch_id: str,
    fresh: set[int] = frozenset(),
) -> None:
    """Append each row's consent unless the same statement is already on file.

    entries are (row, fact): the row has profile_id, record (with its id), warnings (a
    list to append (field, reason) to) and consents_recorded (a count it adds to); fact
    is a rows.ConsentFact.

    "The same" is: the same purpose, status and source at the same time, or, for a
    statement without a time, the profile's latest record for the purpose. Rows of
    one batch see each other's statements, in order. One read (of the profiles older
    than the batch; fresh ones have no history yet) and one INSERT a batch.

    A refusal (rows.REFUSED, a "no" to an opt-in) is stored as "refused", and weighed
    as a withdrawal (RESTRICTIVE): either way the person did not consent when they said
    it. Below, "withdrawal" means either.

    A statement without a time (a plain "yes" column) is stamped when imported, and
    its evidence says so (UNDATED). Since its real time is unknown, it never lifts
    another source's withdrawal (the row gets a warning instead; a source may
    restate its own), and a dated withdrawal older than the undated grant it
    contradicts is stamped when imported too (its own date kept in the evidence):
    one source's grant never silently overrides another's withdrawal. A refusal and a
    withdrawal do not contradict each other: each goes in at its own time.
    """
    if not entries:
        return
    table = ConsentRecord.__table__
    history: dict[tuple[int, str], list[tuple]] = {}
    ids = sorted({item.profile_id for item, _ in entries} - fresh)
    for chunk in sqlin.slices(ids):
        for row in db.session.execute(
            select(
                table.c.profile_id,
                table.c.purpose,
                table.c.status,
                table.c.source_id,
                table.c.recorded_at,
                table.c.id,
                table.c.evidence,
            ).where(table.c.profile_id.in_(chunk))
        ):
            evidence = row[6] if isinstance(row[6], dict) else {}
            undated = evidence.get("time") == UNDATED
            stated = stated_at(evidence.get("stated_at"))
            history.setdefault((row[0], row[1]), []).append((*row[2:6], undated, stated))
    for rows in history.values():
        rows.sort(key=lambda h: (h[2], h[3]), reverse=True)
    inserts = []
    for item, fact in entries:
        now = utcnow()  # per statement: rows of one batch keep their order
        rows = history.setdefault((item.profile_id, fact.purpose), [])
        status = fact.status
        same = [h for h in rows if h[0] == status and h[1] == source_id]
        latest = rows[0] if rows else None
        evidence = kept_apart({k: v for k, v in fact.evidence.items() if v is not None})
        evidence.update(getattr(item, "server_evidence", None) or {})
        evidence.update(source=source_name, batch_id=batch_id)
        at = fact.recorded_at
        future = at is not None and at > now + CONSENT_CLOCK_SKEW
        if future:
            # A time still to come is a typo (2062 for 2026) or a wrong clock: were it
            # kept, it would outrank every real statement until then. It is treated
            # as unknown, and its own date kept in the evidence.
            evidence["stated_at"] = at.isoformat()
            reason = f"{fact.purpose}: time {at.date().isoformat()} is in the future"
            item.warnings.append((fact.field, f"{reason}; taken as unknown"))
            at = None
        if at is None:
            if latest is not None and latest in same:
                continue
            if (
                status == "granted"
                and latest is not None
                and latest[0] in RESTRICTIVE
                and (latest[1] != source_id or future)
            ):
                # A source may restate its own grant without a time, but a time still to
                # come is a mistake: it lifts no withdrawal, not even the source's own.
                said = latest[5] or (None if latest[4] else latest[2])
                of = f" of {said.date().isoformat()}" if said else " on file (undated)"
                what = "refusal" if latest[0] == "refused" else "withdrawal"
                reason = f"an opt-in without a date does not lift the {what}{of}"
                item.warnings.append((fact.field, f"{fact.purpose}: {reason}"))
                continue
            at, evidence["time"] = now, UNDATED
        elif any(h[2] == at for h in same):
            continue
        elif (
            latest is not None
            and (latest[0] in RESTRICTIVE) != (status in RESTRICTIVE)
            and latest[2] > at
        ):
            # The latest record sorts after this one only because it was stamped when
            # imported: undated (a withdrawal still outranks an undated grant) or
            # stated earlier than this one. This statement is then the newer, and ranks
            # after it even when that one was stamped ahead of now (a merge's statement
            # ranks after a grant stated up to CONSENT_CLOCK_SKEW ahead).
            said = latest[5]  # the time it stated, when it was re-stamped
            if (latest[4] and status in RESTRICTIVE) or (said is not None and said < at):
                evidence["stated_at"] = at.isoformat()
                at = max(now, latest[2])
        inserts.append(
            {
                "profile_id": item.profile_id,
                "purpose": fact.purpose,
                "status": status,
                "legal_basis": fact.legal_basis if fact.legal_basis in LEGAL_BASES else "consent",
                "recorded_at": at,
                "source_id": source_id,
                "source_record_id": item.record.id,
                "evidence": evidence,
            }
        )
        # Not stored yet: after every stored id, in the batch's order.
        later = 2**62 + len(inserts)
        undated = evidence.get("time") == UNDATED
        stated = stated_at(evidence.get("stated_at"))
        rows.append((status, source_id, at, later, undated, stated))
        rows.sort(key=lambda h: (h[2], h[3]), reverse=True)
        item.consents_recorded += 1
    if inserts:
        db.session.execute(insert(ConsentRecord), inserts)


def kept_apart(evidence: dict) -> dict:
    """evidence with a source's keys named as the CRM's own (RESERVED_KEYS) moved, with
    their values as sent, under SENT_KEY; pure.

    Overwritten, a form's "source" (the landing page) or "batch_id" (a double opt-in's
    confirmation batch) would be lost from the proof of consent; left where they are, a
    source's "time" or "stated_at" would be read as the CRM's and reorder the history.
    """
    sent = {key: value for key, value in evidence.items() if key in RESERVED_KEYS}
    if not sent:
        return dict(evidence)
    kept = {key: value for key, value in evidence.items() if key not in sent}
    return {**kept, SENT_KEY: sent}


def stated_at(text) -> datetime | None:
    """The time a re-stamped consent statement gave (its evidence's stated_at), if any."""
    if not isinstance(text, str):
        return None
    try:
        stated = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stated if stated.tzinfo else stated.replace(tzinfo=UTC)
