"""Service hours kept as a figure (三.4: hours drive stars and points), not summed on every look.

``volunteer_year_hours`` holds each volunteer's hours per calendar year and ``volunteer_hours`` the
total, counting only what counts everywhere else (``services.volunteers.hours_condition``): live
participations in live activities that are done. SQLite triggers keep both in the same transaction
as any change to a participation or an activity — the forms, the importer, sync recovery, a restore
upgraded by a migration — so the figure cannot drift from the ledger. Each trigger recomputes the
affected volunteers from their own participations (a few dozen rows, by index), never adds or
subtracts, so float rounding cannot accumulate. Local only: derived rows are not synced.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class VolunteerHours(SQLModel, table=True):
    __tablename__ = "volunteer_hours"

    volunteer_id: str = Field(primary_key=True, max_length=36)
    total: float = Field(default=0.0, index=True)


class VolunteerYearHours(SQLModel, table=True):
    __tablename__ = "volunteer_year_hours"

    volunteer_id: str = Field(primary_key=True, max_length=36)
    year: int = Field(primary_key=True)
    hours: float = Field(default=0.0)


def _recompute(who: str) -> str:
    """Statements recomputing the volunteers selected by ``who`` (an SQL list or sub-select of this module's)."""
    return f"""
    DELETE FROM volunteer_year_hours WHERE volunteer_id IN ({who});
    INSERT INTO volunteer_year_hours (volunteer_id, year, hours)
        SELECT p.volunteer_id, CAST(substr(a.date, 1, 4) AS INTEGER), SUM(p.hours)
        FROM participation p JOIN activity a ON a.id = p.activity_id
        WHERE p.volunteer_id IN ({who}) AND p.deleted = 0 AND a.deleted = 0 AND a.status = 'done'
        GROUP BY p.volunteer_id, CAST(substr(a.date, 1, 4) AS INTEGER);
    INSERT OR REPLACE INTO volunteer_hours (volunteer_id, total)
        SELECT v.id, COALESCE((SELECT SUM(y.hours) FROM volunteer_year_hours y WHERE y.volunteer_id = v.id), 0)
        FROM volunteer v WHERE v.id IN ({who});
    """


_IN_ACTIVITY = "SELECT volunteer_id FROM participation WHERE activity_id = {row}.id"

TRIGGERS: dict[str, str] = {
    "trg_hours_participation_insert": f"""
        CREATE TRIGGER IF NOT EXISTS trg_hours_participation_insert AFTER INSERT ON participation
        BEGIN {_recompute("NEW.volunteer_id")} END""",
    "trg_hours_participation_update": f"""
        CREATE TRIGGER IF NOT EXISTS trg_hours_participation_update
        AFTER UPDATE OF hours, deleted, volunteer_id, activity_id ON participation
        BEGIN {_recompute("OLD.volunteer_id, NEW.volunteer_id")} END""",
    "trg_hours_participation_delete": f"""
        CREATE TRIGGER IF NOT EXISTS trg_hours_participation_delete AFTER DELETE ON participation
        BEGIN {_recompute("OLD.volunteer_id")} END""",
    "trg_hours_activity_update": f"""
        CREATE TRIGGER IF NOT EXISTS trg_hours_activity_update AFTER UPDATE OF deleted, status, date ON activity
        WHEN OLD.deleted IS NOT NEW.deleted OR OLD.status IS NOT NEW.status OR OLD.date IS NOT NEW.date
        BEGIN {_recompute(_IN_ACTIVITY.format(row="NEW"))} END""",
    "trg_hours_volunteer_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_hours_volunteer_delete AFTER DELETE ON volunteer
        BEGIN
            DELETE FROM volunteer_year_hours WHERE volunteer_id = OLD.id;
            DELETE FROM volunteer_hours WHERE volunteer_id = OLD.id;
        END""",
}

REBUILD = """
    DELETE FROM volunteer_year_hours;
    DELETE FROM volunteer_hours;
    INSERT INTO volunteer_year_hours (volunteer_id, year, hours)
        SELECT p.volunteer_id, CAST(substr(a.date, 1, 4) AS INTEGER), SUM(p.hours)
        FROM participation p JOIN activity a ON a.id = p.activity_id
        WHERE p.deleted = 0 AND a.deleted = 0 AND a.status = 'done'
        GROUP BY p.volunteer_id, CAST(substr(a.date, 1, 4) AS INTEGER);
    INSERT INTO volunteer_hours (volunteer_id, total)
        SELECT v.id, COALESCE(t.total, 0) FROM volunteer v
        LEFT JOIN (SELECT volunteer_id, SUM(hours) AS total FROM volunteer_year_hours GROUP BY volunteer_id) t
               ON t.volunteer_id = v.id;
"""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def install(execute) -> None:
    """Create the triggers; ``execute(sql)`` runs one statement (a DB-API cursor's or a connection's)."""
    for ddl in TRIGGERS.values():
        execute(ddl)


def drop(execute) -> None:
    for name in TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild(execute) -> None:
    """Recompute every figure from the ledger (after a bulk load, in a migration, or to repair)."""
    for statement in _statements(REBUILD):
        execute(statement)
