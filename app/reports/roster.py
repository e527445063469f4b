"""队伍名册: each team's details and members, personal data masked unless the role allows it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.platypus import PageBreak, Paragraph, Spacer
from reportlab.lib.units import mm

from ..privacy import mask_id_number, mask_phone, revealed
from ..services import teams as team_service
from ..services import volunteers as volunteer_service
from ..services.common import format_date
from ..services.context import Context
from ..models.enums import station_level
from ..services.station import get_station
from .common import build, data_table, form_table, markup, styles


def _unassigned(ctx: Context):
    """Live volunteers with no current membership of a live team, by number."""
    from sqlmodel import col, select

    from ..models import Membership, Team, Volunteer

    member = (select(Membership.id).join(Team, col(Team.id) == col(Membership.team_id))
              .where(Membership.volunteer_id == Volunteer.id, Membership.deleted == False, Membership.left_on == None,
                     Team.deleted == False))
    with ctx.read() as session:
        return list(session.exec(select(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == False,
                                                         ~member.exists()).order_by(Volunteer.number)))


def roster_pdf(ctx: Context, out: str | Path, *, team_id: str | None = None, full: bool | None = None) -> Path:
    """Masked for every role; ``full`` asks for unmasked ID numbers and phones, which only an admin gets."""
    station = get_station(ctx)
    show_full = revealed(ctx, full)  # PermissionDenied when a role that may not asks for full data
    if show_full:
        from ..services.audit import record_view

        record_view(ctx, "export", "", f"打印队伍名册的完整证件号码和电话：{Path(out).name}")
    summaries = [s for s in team_service.list_teams(ctx) if team_id is None or s.team.id == team_id]
    s = styles()
    story: list = []
    for n, summary in enumerate(summaries):
        team = summary.team
        if n:
            story.append(PageBreak())
        story.append(Paragraph(markup(f"{team.name} 队伍名册"), s["title"]))
        members = team_service.team_members(ctx, team.id)
        story.append(form_table([
            ["服务队名称", team.name, "类别", team.category],
            ["队长", summary.leader_name or "—", "成立日期", format_date(team.founded_on) or "—"],
            ["队员人数", f"{len(members)} 人", f"所属{station_level(station.level).unit}", station.name],
            ["简介", team.description or "—", "", ""],
        ], [22, 63, 22, 63], spans=[((1, 3), (3, 3))]))
        story.append(Spacer(1, 5 * mm))
        rows = []
        for i, m in enumerate(members, start=1):
            v = m.volunteer
            rows.append((
                i, v.name + ("（队长）" if v.id == team.leader_id else ""), v.gender, volunteer_service.age_on(v) or "",
                v.political_status, v.phone if show_full else mask_phone(v.phone),
                v.id_number if show_full else mask_id_number(v.id_number), v.skills, format_date(m.membership.joined_on),
            ))
        story.append(data_table(["序号", "姓名", "性别", "年龄", "政治面貌", "联系电话", "身份证号", "技能", "入队时间"], rows,
                                [8, 19, 8, 8, 16, 23, 37, 18, 27],
                                aligns=["cell_center", "cell", "cell_center", "cell_center", "cell", "cell", "cell", "cell", "cell"]))
    if team_id is None:
        # Volunteers in no team are on the station's roster too: under 未编队, after the teams.
        unassigned = _unassigned(ctx)
        if unassigned:
            if story:
                story.append(PageBreak())
            story.append(Paragraph(markup("未编队志愿者名册"), s["title"]))
            story.append(Paragraph(markup(f"{station.name}　注册志愿者中尚未加入服务队的 {len(unassigned)} 人"), s["body"]))
            story.append(Spacer(1, 3 * mm))
            rows = [(i, v.name, v.gender, volunteer_service.age_on(v) or "", v.political_status,
                     v.phone if show_full else mask_phone(v.phone), v.id_number if show_full else mask_id_number(v.id_number),
                     v.skills, format_date(v.registered_on)) for i, v in enumerate(unassigned, start=1)]
            story.append(data_table(["序号", "姓名", "性别", "年龄", "政治面貌", "联系电话", "身份证号", "技能", "注册日期"], rows,
                                    [8, 19, 8, 8, 16, 23, 37, 18, 27],
                                    aligns=["cell_center", "cell", "cell_center", "cell_center", "cell", "cell", "cell", "cell", "cell"]))
    if not story:
        story.append(Paragraph(markup("尚未建立服务队，也没有登记志愿者"), s["title"]))
    title = "队伍名册" if team_id is None else f"{summaries[0].team.name}队伍名册" if summaries else "队伍名册"
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(markup(f"制表日期：{format_date(date.today())}"), s["right"]))
    return build(out, story, title=title, station_name=station.name, ctx=ctx)
