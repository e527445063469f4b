"""Failures that are not bugs — a read-only file, a full disk, a busy store, a folder where a file should
be — told apart from bugs and said in Chinese, with what to do (qutebrowser's KnownError idea)."""

from __future__ import annotations

import errno


def describe(exc: BaseException) -> str | None:
    """A Chinese sentence for a known failure, or None for a bug."""
    if isinstance(exc, BrokenPipeError):
        return "输出已被提前关闭（例如接在 head 之后），其余内容没有显示"
    if isinstance(exc, OSError):
        return _os_error(exc)
    text = str(getattr(exc, "orig", exc) or "").lower()
    if type(exc).__name__ in ("OperationalError", "DatabaseError") or "sqlite" in type(getattr(exc, "orig", exc)).__module__:
        if "readonly" in text or "read-only" in text:
            return "台账数据库是只读的，无法保存：请检查数据目录和 station.db 的权限（右键 → 属性，取消“只读”），或换一个有写入权限的数据目录"
        if "locked" in text or "busy" in text:
            return "台账正被另一个程序写入（例如打开着的桌面程序或另一个命令），等了 30 秒仍未完成，请稍后再试"
        if "disk is full" in text or "disk i/o" in text:
            return "磁盘空间不足或磁盘出错，无法写入台账；请清理磁盘后重试，已保存的数据没有被改动"
        if "unable to open database" in text:
            return "无法打开台账数据库文件：数据目录可能不存在或没有权限"
    return None


def _os_error(exc: OSError) -> str:
    name = f"“{exc.filename}”" if exc.filename else "文件"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有权限写入或读取{name}：它可能是只读的，或属于另一个账户。请换一个位置，或检查它的属性"
    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，无法写入{name}。请清理磁盘后重试；已保存的数据没有被改动"
    if exc.errno == errno.EISDIR:
        return f"{name}是一个文件夹，请给出文件名"
    if exc.errno == errno.ENOTDIR:
        return f"{name}的上级不是文件夹，请检查路径"
    if exc.errno == errno.ENOENT:
        return f"找不到{name}"
    return f"无法访问{name}：{exc.strerror or exc}"
