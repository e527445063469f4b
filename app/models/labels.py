"""What a person calls each synced table and which field names one of its rows: shared by the audit trail, the
outbox's list of refused rows and the district's answers (data about the tables, so that none of those imports another)."""

ENTITY_LABELS = {
    "station": "实践站",
    "function_room": "功能室",
    "service_point": "服务站点",
    "volunteer": "志愿者",
    "team": "服务队",
    "membership": "队员",
    "activity": "活动",
    "participation": "参与记录",
    "photo": "照片",
    "project": "项目",
    "project_team": "项目服务队",
    "training": "培训",
    "document": "管理文件",
    "activity_plan": "活动计划",
    "household": "家庭户",
    "point_rule": "积分规则",
    "point_entry": "积分记录",
    "goods": "信用超市商品",
    "stock_move": "出入库",
    "demand": "群众点单",
    "demand_event": "点单办理",
    "demand_hop": "转派/上报",
    "export": "导出/打印",
}
# The field that names a row for a person, per entity.
TITLE_FIELDS = {"station": "name", "function_room": "name", "service_point": "name", "volunteer": "name", "team": "name", "activity": "title", "photo": "filename",
                "project": "name", "training": "title", "document": "title", "activity_plan": "title",
                "household": "head", "point_rule": "name", "point_entry": "reason", "goods": "name", "stock_move": "reason",
                "demand": "content", "demand_event": "action", "demand_hop": "to_name"}
