"""Settings as a typed registry: every key, its type and default in one place, stored in the data dir."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .services.errors import PermissionDenied

if TYPE_CHECKING:
    from .services.context import Actor

log = logging.getLogger(__name__)
SETTINGS_VERSION = 1

# The kinds of file a person opens or saves: each file dialog opens in the folder last used for its kind
# (``folder_<kind>``, ui/saving.py), else in Documents.
FILE_KINDS = {
    "table": "表格",
    "pdf": "PDF 文件",
    "photo": "活动照片",
    "backup": "备份文件",
    "sync": "同步包和回执",
    "certificate": "根证书",
}


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    label: str  # for the settings page
    minimum: int | None = None
    maximum: int | None = None
    admin_only: bool = False  # protects the data: only an admin may change it (``Settings.set(..., actor=)``)


REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("idle_lock_minutes", int, 10, "无操作自动锁定（分钟）", 1, 240, admin_only=True),
        Setting("daily_backup", bool, True, "每天自动备份", admin_only=True),
        Setting("last_operator", str, "", "上次登录的操作员"),
        Setting("station_name", str, "", "实践站名称（登录窗口在打开台账前就显示）"),
        # The demo lives in its own folder (demo/ in the data dir); the real data dir remembers that the
        # person chose to try it, and the demo's own settings say what it is.
        Setting("demo_open", bool, False, "正在试用示范站"),
        Setting("is_demo", bool, False, "这是示范站"),
        Setting("demo_login_known", bool, False, "示范站的登录名和密码仍是生成时的（登录框上写出）"),
        *(Setting(f"folder_{kind}", str, "", f"上次选择{what}的文件夹") for kind, what in FILE_KINDS.items()),
    )
}


class Settings:
    """Reads once, writes through (atomically) on every change."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._values: dict[str, Any] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("settings file unreadable, using defaults: %s", exc)
            return
        for key, value in raw.get("values", {}).items():
            setting = REGISTRY.get(key)
            if setting is not None and isinstance(value, setting.type):
                self._values[key] = value

    def get(self, key: str) -> Any:
        return self._values.get(key, REGISTRY[key].default)

    @staticmethod
    def may_change(key: str, actor: Actor | None) -> bool:
        return not REGISTRY[key].admin_only or (actor is not None and actor.role.is_admin)

    def set(self, key: str, value: Any, *, actor: Actor | None = None) -> None:
        """``actor``: who changes it, required for a setting that protects the data (``admin_only``)."""
        setting = REGISTRY[key]
        if not self.may_change(key, actor):
            raise PermissionDenied(f"只有管理员可以更改“{setting.label}”")
        if not isinstance(value, setting.type):
            raise TypeError(f"{key} takes {setting.type.__name__}")
        if isinstance(value, int) and setting.minimum is not None and value < setting.minimum:
            value = setting.minimum
        if isinstance(value, int) and setting.maximum is not None and value > setting.maximum:
            value = setting.maximum
        self._load()  # what another Settings on this file (a page's, the wizard's) wrote meanwhile is kept
        self._values[key] = value
        self._save()

    def _save(self) -> None:
        from .files import write_atomically

        write_atomically(self.path, json.dumps({"version": SETTINGS_VERSION, "values": self._values}, ensure_ascii=False, indent=2))
