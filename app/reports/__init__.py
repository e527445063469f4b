"""Printed binders (reportlab Platypus): 活动台账, 队伍名册, 志愿服务记录证明, 工作统计, 自查报告, 积分台账/公示, 五单登记簿, 项目清单."""

from .cards import cards_pdf
from .certificate import certificate_pdf
from .common import Cancelled
from .ledger import ledger_pdf, records_pdf
from .rewards import demand_register_pdf, month_ledger_pdf, person_ledger_pdf, points_list_pdf, project_list_pdf
from .roster import roster_pdf
from .selfcheck import selfcheck_pdf
from .summary import summary_pdf

__all__ = ["Cancelled", "cards_pdf", "certificate_pdf", "demand_register_pdf", "ledger_pdf", "records_pdf", "month_ledger_pdf", "person_ledger_pdf", "points_list_pdf",
           "project_list_pdf", "roster_pdf", "selfcheck_pdf", "summary_pdf"]
