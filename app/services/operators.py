"""People who log into the app: accounts, password hashes (scrypt), lockout after wrong passwords."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from datetime import timedelta

from sqlmodel import Session, select

from ..db import Store
from ..models import Operator, utcnow
from ..models.enums import Role
from .common import check_length, clean
from .context import Actor, Context
from .errors import FieldErrors, NotFound, PermissionDenied, ServiceError

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
MIN_PASSWORD = 6
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=len(expected), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(actual, expected)


def actor_of(op: Operator) -> Actor:
    return Actor(username=op.username, display_name=op.display_name, role=Role(op.role))


def _validate(errors: FieldErrors, *, username: str, display_name: str, role: str, password: str | None) -> None:
    check_length(errors, "username", "登录名", username, 50, required=True)
    if username and not all(ch.isalnum() or ch in "._-" for ch in username):
        errors.add("username", "登录名只能包含字母、数字、汉字和 . _ -")
    check_length(errors, "display_name", "姓名", display_name, 50, required=True)
    if role not in Role.__members__:
        errors.add("role", "角色应为管理员、录入员或查看员")
    if password is not None and len(password) < MIN_PASSWORD:
        errors.add("password", f"密码至少{MIN_PASSWORD}位")


def _create(session: Session, *, username: str, display_name: str, role: str, password: str) -> Operator:
    errors = FieldErrors()
    username, display_name = clean(username), clean(display_name)
    _validate(errors, username=username, display_name=display_name, role=role, password=password)
    if username and session.exec(select(Operator).where(Operator.username == username)).first():
        errors.add("username", f"登录名“{username}”已被使用")
    errors.raise_if_any()
    op = Operator(username=username, display_name=display_name, role=role, password_hash=hash_password(password))
    session.add(op)
    session.commit()
    return op


def has_operators(store: Store) -> bool:
    with store.session() as session:
        return session.exec(select(Operator.id)).first() is not None


def create_first_admin(store: Store, *, username: str, display_name: str, password: str) -> Operator:
    """The first-run wizard's admin; refused once any operator exists."""
    with store.session() as session:
        if session.exec(select(Operator.id)).first() is not None:
            raise PermissionDenied("已有操作员，请由管理员在“操作员”页添加")
        return _create(session, username=username, display_name=display_name, role="admin", password=password)


def create_operator(ctx: Context, *, username: str, display_name: str, role: str, password: str) -> Operator:
    ctx.require_admin()
    with ctx.store.session(operator=ctx.actor.label) as session:
        return _create(session, username=username, display_name=display_name, role=role, password=password)


def list_operators(store: Store) -> list[Operator]:
    with store.session() as session:
        return list(session.exec(select(Operator).order_by(Operator.username)))


def authenticate(store: Store, username: str, password: str) -> Actor:
    """Check a password; 5 wrong ones lock the operator for 5 minutes."""
    with store.session() as session:
        op = session.exec(select(Operator).where(Operator.username == clean(username))).first()
        if op is None or not op.active:
            log.warning("login refused: no active operator %r", clean(username)[:50])
            raise PermissionDenied("登录名或密码不正确")
        now = utcnow()
        if op.locked_until and op.locked_until > now:
            log.warning("login refused: operator %s is locked out", op.username)
            minutes = max(1, round((op.locked_until - now).total_seconds() / 60))
            raise PermissionDenied(f"密码错误次数过多，该操作员已锁定，请约{minutes}分钟后再试，或请管理员在“操作员”页解锁")
        if not password:  # Enter pressed on an empty field is not a guess
            raise PermissionDenied("请输入密码")
        if not verify_password(password, op.password_hash):
            op.failed_logins += 1
            if op.failed_logins >= MAX_FAILED_LOGINS:
                op.failed_logins = 0
                op.locked_until = now + LOCKOUT
                session.commit()
                log.warning("wrong password for %s, %d in a row: locked out for %s", op.username, MAX_FAILED_LOGINS,
                            LOCKOUT)
                raise PermissionDenied(f"密码连续错误{MAX_FAILED_LOGINS}次，该操作员已锁定5分钟")
            left = MAX_FAILED_LOGINS - op.failed_logins
            session.commit()
            log.warning("wrong password for %s (%d of %d)", op.username, op.failed_logins, MAX_FAILED_LOGINS)
            raise PermissionDenied(f"登录名或密码不正确（再错{left}次将锁定5分钟）")
        op.failed_logins = 0
        op.locked_until = None
        op.last_login_at = now
        session.commit()
        log.info("logged in: %s", op.username)
        return actor_of(op)


def locked_until(op: Operator, now=None):
    """When a locked operator may try again (aware UTC), or None if not locked."""
    now = now or utcnow()
    return op.locked_until if op.locked_until and op.locked_until > now else None


def unlock_operator(ctx: Context, username: str) -> None:
    """An admin lifts a lockout after too many wrong passwords."""
    ctx.require_admin()
    with ctx.store.session(operator=ctx.actor.label) as session:
        op = session.exec(select(Operator).where(Operator.username == username)).first()
        if op is None:
            raise NotFound(f"找不到操作员“{username}”")
        op.failed_logins, op.locked_until = 0, None
        session.commit()


def change_own_password(ctx: Context, *, old: str, new: str, again: str) -> None:
    """修改我的密码: every role, with the current password; the two new ones must agree."""
    errors = FieldErrors()
    with ctx.store.session() as session:
        op = session.exec(select(Operator).where(Operator.username == ctx.actor.username)).first()
        if op is None:
            raise NotFound("找不到当前操作员")
        if not verify_password(old, op.password_hash):
            errors.add("old", "当前密码不正确")
    if new != again:
        errors.add("again", "两次输入的新密码不一致")
    if new and new == old:
        errors.add("new", "新密码不能与当前密码相同")
    _validate(errors, username=ctx.actor.username, display_name=op.display_name, role=op.role, password=new)
    if "password" in errors.errors:
        errors.errors["new"] = errors.errors.pop("password")
    errors.raise_if_any()
    update_operator(ctx, ctx.actor.username, password=new)


def update_operator(ctx: Context, username: str, *, display_name: str | None = None, role: str | None = None, active: bool | None = None, password: str | None = None) -> Operator:
    """Admins change anyone; every operator may change their own password."""
    if username != ctx.actor.username or role is not None or active is not None:
        ctx.require_admin()
    with ctx.store.session(operator=ctx.actor.label) as session:
        op = session.exec(select(Operator).where(Operator.username == username)).first()
        if op is None:
            raise NotFound(f"找不到操作员“{username}”")
        errors = FieldErrors()
        _validate(
            errors,
            username=op.username,
            display_name=clean(display_name) if display_name is not None else op.display_name,
            role=role if role is not None else op.role,
            password=password,
        )
        errors.raise_if_any()
        demoting = (role is not None and role != "admin") or active is False
        if op.role == "admin" and demoting:
            admins = session.exec(select(Operator).where(Operator.role == "admin", Operator.active == True)).all()
            if len(admins) <= 1:
                raise ServiceError("至少要保留一名可用的管理员")
        if display_name is not None:
            op.display_name = clean(display_name)
        if role is not None:
            op.role = role
        if active is not None:
            op.active = active
        if password is not None:
            op.password_hash = hash_password(password)
            op.failed_logins = 0
            op.locked_until = None
        session.commit()
    if password is not None:
        password_changed(ctx.store, username)
    return op


def password_changed(store: Store, username: str) -> None:
    """A demo's login box says its login (app/demo.py) only while it is still the one it was made with."""
    from ..demo_account import DEMO_ADMIN
    from ..settings import Settings

    if username == DEMO_ADMIN:
        Settings(store.paths.settings).set("demo_login_known", False)
