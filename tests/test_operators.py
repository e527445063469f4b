from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import Operator, utcnow
from app.models.enums import Role
from app.services import operators
from app.services.context import Context
from app.services.errors import PermissionDenied, ServiceError, ValidationError


def test_first_admin_and_login(store):
    assert not operators.has_operators(store)
    op = operators.create_first_admin(store, username="admin", display_name="杨红霞", password="secret1")
    assert op.password_hash.startswith("scrypt$") and "secret1" not in op.password_hash
    actor = operators.authenticate(store, "admin", "secret1")
    assert actor.role is Role.admin and actor.label == "杨红霞"
    with pytest.raises(PermissionDenied):
        operators.create_first_admin(store, username="b", display_name="b", password="secret1")


def test_five_wrong_passwords_lock_for_five_minutes(store):
    operators.create_first_admin(store, username="admin", display_name="管理员", password="secret1")
    for left in (4, 3, 2, 1):
        with pytest.raises(PermissionDenied, match=f"再错{left}次"):
            operators.authenticate(store, "admin", "wrong")
    with pytest.raises(PermissionDenied, match="已锁定5分钟"):
        operators.authenticate(store, "admin", "wrong")
    with pytest.raises(PermissionDenied, match="已锁定"):
        operators.authenticate(store, "admin", "secret1")  # even the right password
    with store.session() as session:  # five minutes pass
        op = session.exec(select(Operator)).one()
        op.locked_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert operators.authenticate(store, "admin", "secret1").username == "admin"


def test_logins_wrong_passwords_and_lockouts_are_in_the_log_without_the_passwords(store, caplog):
    """Who logged in at a shared PC, and who tried which operator's password, is what an IT person or the 所 asks
    after something went wrong; none of it was written anywhere."""
    import logging

    operators.create_first_admin(store, username="admin", display_name="管理员", password="secret1")
    with caplog.at_level(logging.INFO, logger="app.services.operators"):
        operators.authenticate(store, "admin", "secret1")
        for _ in range(5):
            with pytest.raises(PermissionDenied):
                operators.authenticate(store, "admin", "guess-1")
        with pytest.raises(PermissionDenied):
            operators.authenticate(store, "admin", "secret1")
        with pytest.raises(PermissionDenied):
            operators.authenticate(store, "nobody", "secret1")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "logged in: admin"
    assert lines[1:5] == [f"wrong password for admin ({n} of 5)" for n in (1, 2, 3, 4)]
    assert lines[5].startswith("wrong password for admin, 5 in a row: locked out")
    assert lines[6:] == ["login refused: operator admin is locked out", "login refused: no active operator 'nobody'"]
    assert not any("secret1" in line or "guess-1" in line for line in lines)


def test_operator_management_rules(store):
    operators.create_first_admin(store, username="admin", display_name="管理员", password="secret1")
    admin = Context(store=store, actor=operators.authenticate(store, "admin", "secret1"))
    operators.create_operator(admin, username="clerk", display_name="王录入", role="clerk", password="secret2")
    with pytest.raises(ValidationError) as info:
        operators.create_operator(admin, username="clerk", display_name="", role="boss", password="1")
    assert set(info.value.errors) == {"username", "display_name", "role", "password"}
    clerk = Context(store=store, actor=operators.authenticate(store, "clerk", "secret2"))
    with pytest.raises(PermissionDenied):
        operators.create_operator(clerk, username="x", display_name="x", role="clerk", password="secret3")
    operators.update_operator(clerk, "clerk", password="newpass")  # own password
    with pytest.raises(PermissionDenied):
        operators.update_operator(clerk, "clerk", role="admin")
    with pytest.raises(ServiceError, match="至少要保留一名"):
        operators.update_operator(admin, "admin", role="clerk")
    assert operators.authenticate(store, "clerk", "newpass").role is Role.clerk
    assert [o.username for o in operators.list_operators(store)] == ["admin", "clerk"]
