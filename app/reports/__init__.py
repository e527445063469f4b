"""Printed binders (reportlab Platypus): 活动台账, 队伍名册, 志愿服务记录证明, 工作统计."""

from .certificate import certificate_pdf
from .common import Cancelled
from .ledger import ledger_pdf
from .roster import roster_pdf
from .selfcheck import selfcheck_pdf
from .summary import summary_pdf

__all__ = ["Cancelled", "certificate_pdf", "ledger_pdf", "roster_pdf", "selfcheck_pdf", "summary_pdf"]
