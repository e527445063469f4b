"""积分 forms: a hand entry, a reversal, a redemption, goods, stock, rules and households."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox

from app.models import Goods, Household, PointRule
from app.models.enums import POINT_BASES, TEAM_CATEGORIES
from app.privacy import mask_phone
from app.services import audit, points
from app.services.errors import ValidationError
from app.services.points import Account

from ..forms import FormDialog, SensitiveEdit, combo, date_edit, from_qdate


def _spin(low: int, high: int, value: int = 0, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class EntryDialog(FormDialog):
    """加分 / 扣分 by hand: pick a manual rule (its points fill in) or type the points and the reason."""

    def __init__(self, ctx, account: Account, parent=None):
        super().__init__(self.tr("加分或扣分：{0}").format(account.name), parent)
        self.ctx, self.account = ctx, account
        self.body.insertWidget(0, QLabel(self.tr("{0}　现有积分 {1} 分").format(account.name, account.balance)))
        points.ensure_default_rules(ctx)
        self.rule = self.add("rule_id", self.tr("积分规则"), QComboBox())
        self.rule.addItem(self.tr("（不按规则，手工填写）"), None)
        for rule in points.list_rules(ctx, active_only=True, basis="manual"):
            self.rule.addItem(f"{rule.name}（{rule.points:+d}）", rule)
        self.points = self.add("points", self.tr("分值"), _spin(-points.MAX_POINTS, points.MAX_POINTS, 0, self.tr(" 分")))
        self.reason = self.add("reason", self.tr("原因"), QLineEdit())
        self.date = self.add("occurred_on", self.tr("日期"), date_edit(None))
        self.rule.currentIndexChanged.connect(self.on_rule)
        self.finish_layout()
        self.resize(460, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def on_rule(self) -> None:
        rule: PointRule | None = self.rule.currentData()
        if rule is not None:
            self.points.setValue(rule.points)
            self.reason.setText(rule.name)

    def submit(self):
        rule = self.rule.currentData()
        return points.add_entry(self.ctx, self.account.holder, points=self.points.value(), reason=self.reason.text(),
                                rule_id=rule.id if rule else None, occurred_on=from_qdate(self.date.date()))


class ReverseDialog(FormDialog):
    def __init__(self, ctx, entry, parent=None):
        super().__init__(self.tr("冲正积分记录"), parent)
        self.ctx, self.entry = ctx, entry
        self.body.insertWidget(0, QLabel(self.tr("冲正：{0}（{1:+d} 分）\n将记一笔 {2:+d} 分，原记录保留。").format(entry.reason, entry.points, -entry.points)))
        self.reason = self.add("reason", self.tr("冲正原因"), QLineEdit())
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("冲正"))
        self.finish_layout()

    def submit(self):
        return points.reverse_entry(self.ctx, self.entry.id, self.reason.text())


class RedeemDialog(FormDialog):
    """信用超市兑换: goods with price and stock; the cost is checked against the balance when saved."""

    def __init__(self, ctx, account: Account, parent=None):
        super().__init__(self.tr("积分兑换：{0}").format(account.name), parent)
        self.ctx, self.account = ctx, account
        self.balance = QLabel()
        self.body.insertWidget(0, self.balance)
        self.goods = self.add("goods", self.tr("兑换物品"), QComboBox())
        for g in points.list_goods(ctx, active_only=True):
            self.goods.addItem(self.tr("{0}　{1} 分/{2}　库存 {3}").format(g.goods.name, g.goods.price, g.goods.unit, g.stock), g.goods)
        self.quantity = self.add("quantity", self.tr("数量"), _spin(1, 1000, 1))
        self.cost = self.add("points", self.tr("所需积分"), QLabel())
        self.goods.currentIndexChanged.connect(self.update_cost)
        self.quantity.valueChanged.connect(self.update_cost)
        # 积分不足 (and 库存不足) follow the goods and the quantity: “需要 300 分” stayed under 200 分 (a trial)
        self.depends_on("points", self.goods, self.quantity)
        self.depends_on("quantity", self.goods, self.quantity)
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("兑换"))
        self.finish_layout()
        self.update_cost()
        self.resize(460, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def update_cost(self) -> None:
        balance = points.balance(self.ctx, self.account.holder)
        self.balance.setText(self.tr("{0}　现有积分 {1} 分").format(self.account.name, balance))
        goods: Goods | None = self.goods.currentData()
        cost = goods.price * self.quantity.value() if goods else 0
        self.cost.setText(self.tr("{0} 分").format(cost) + (self.tr("（积分不足）") if cost > balance else ""))

    def submit(self):
        goods = self.goods.currentData()
        if goods is None:
            raise ValidationError({"goods": self.tr("信用超市还没有可兑换的物品，请先在“信用超市”中添加")})
        return points.redeem(self.ctx, self.account.holder, goods.id, self.quantity.value())


class GoodsDialog(FormDialog):
    def __init__(self, ctx, goods: Goods | None = None, parent=None):
        super().__init__(self.tr("编辑物品") if goods else self.tr("新增物品"), parent)
        self.ctx, self.row = ctx, goods
        g = goods
        self.name = self.add("name", self.tr("物品或服务"), QLineEdit(g.name if g else ""))
        self.unit = self.add("unit", self.tr("单位"), QLineEdit(g.unit if g else "件"))
        self.price = self.add("price", self.tr("兑换积分"), _spin(1, points.MAX_POINTS, g.price if g else 10, self.tr(" 分")))
        self.active = self.add("active", self.tr("上架"), QCheckBox(self.tr("可以兑换")))
        self.active.setChecked(g.active if g else True)
        self.note = self.add("note", self.tr("说明"), QLineEdit(g.note if g else ""))
        self.finish_layout()

    def submit(self):
        return points.save_goods(self.ctx, self.row.id if self.row else None, name=self.name.text(), unit=self.unit.text(),
                                 price=self.price.value(), active=self.active.isChecked(), note=self.note.text())


class StockDialog(FormDialog):
    """入库 (positive) or a stock-take correction (negative)."""

    def __init__(self, ctx, stock: points.GoodsStock, parent=None):
        super().__init__(self.tr("入库或盘点：{0}").format(stock.goods.name), parent)
        self.ctx, self.stock = ctx, stock
        self.body.insertWidget(0, QLabel(self.tr("现有库存 {0}{1}").format(stock.stock, stock.goods.unit)))
        self.quantity = self.add("quantity", self.tr("数量（减少填负数）"), _spin(-10000, 10000, 10))
        self.reason = self.add("reason", self.tr("原因"), QLineEdit(self.tr("入库")))
        self.quantity.valueChanged.connect(self.default_reason)
        self.finish_layout()

    def default_reason(self, quantity: int) -> None:
        """The reason follows the sign while it is still one of the two defaults: a reduction read 入库 (a trial)."""
        defaults = (self.tr("入库"), self.tr("盘点减少"))
        if self.reason.text() in defaults:
            self.reason.setText(defaults[1] if quantity < 0 else defaults[0])

    def submit(self):
        return points.restock(self.ctx, self.stock.goods.id, self.quantity.value(), self.reason.text())


class RuleDialog(FormDialog):
    def __init__(self, ctx, rule: PointRule | None = None, parent=None):
        super().__init__(self.tr("编辑积分规则") if rule else self.tr("新增积分规则"), parent)
        self.ctx, self.row = ctx, rule
        r = rule
        self.name = self.add("name", self.tr("规则名称"), QLineEdit(r.name if r else ""))
        self.basis = self.add("basis", self.tr("计分方式"), QComboBox())
        for key, label in POINT_BASES.items():
            self.basis.addItem(self.tr(label), key)
        self.basis.setCurrentIndex(max(0, self.basis.findData(r.basis if r else "manual")))
        self.points = self.add("points", self.tr("分值"), _spin(-points.MAX_POINTS, points.MAX_POINTS, r.points if r else 5, self.tr(" 分")))
        self.category = self.add("category", self.tr("仅限活动类别"), combo(("",) + TEAM_CATEGORIES, r.category if r else ""))
        self.min_rating = self.add("min_rating", self.tr("最低评分"), _spin(1, 5, r.min_rating if r and r.min_rating else 4))
        self.active = self.add("active", self.tr("启用"), QCheckBox(self.tr("按此规则计分")))
        self.active.setChecked(r.active if r else True)
        self.finish_layout()

    def submit(self):
        return points.save_rule(self.ctx, self.row.id if self.row else None, name=self.name.text(), basis=self.basis.currentData(),
                                points=self.points.value(), category=self.category.currentText(), min_rating=self.min_rating.value(),
                                active=self.active.isChecked())


class HouseholdDialog(FormDialog):
    def __init__(self, ctx, household: Household | None = None, parent=None):
        super().__init__(self.tr("家庭户"), parent)
        self.ctx, self.row = ctx, household
        h = household
        self.head = self.add("head", self.tr("户主姓名"), QLineEdit(h.head if h else ""))
        self.address = self.add("address", self.tr("门牌地址"), QLineEdit(h.address if h else ""))
        if h and h.phone:  # masked for every role; 显示 for an admin (recorded); left alone unless 重新录入
            reveal = (lambda: audit.reveal(ctx, "household", h.id)["phone"]) if ctx.actor.role.may_reveal_personal_data else None
            self.phone = self.add("phone", self.tr("联系电话"), SensitiveEdit(mask_phone(h.phone), reveal=reveal))
        else:
            self.phone = self.add("phone", self.tr("联系电话"), QLineEdit())
        self.note = self.add("note", self.tr("备注"), QLineEdit(h.note if h else ""))
        self.finish_layout()

    def submit(self):
        return points.save_household(self.ctx, self.row.id if self.row else None, head=self.head.text(), address=self.address.text(),
                                     phone=self.phone.value() if isinstance(self.phone, SensitiveEdit) else self.phone.text(),
                                     note=self.note.text())
