"""使用手册: the 专管员's short illustrated manual (#27) — what each page is for, in the order a new 专管员 meets them,
with pictures of the real program, and the ten questions they ask most. The words are here; the pictures are taken
from the running program by ``ui/manual.py`` (``station manual``), so a new version's manual shows its own window.
Plain reportlab, like every print."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Image, KeepTogether, PageBreak, Paragraph, Spacer

from .common import FRAME_W, build, markup, styles


@dataclass(frozen=True)
class Section:
    title: str
    text: tuple[str, ...]
    shot: str = ""  # the picture's key in the screenshots ``ui/manual.py`` takes ("" : none)
    caption: str = ""


SECTIONS = (
    Section("一、第一次打开", (
        "第一次打开程序时有向导。先选本台账属于哪一级：村（社区）新时代文明实践站、街道（功能区）新时代文明实践所，"
        "或区新时代文明实践中心；再填写名称、类型、所属街道、常住人口、负责人（专管员）和联系电话（负责人在服务证明上签名，"
        "必须填写），最后设置第一个管理员的登录名和密码。请记住这个密码。点“完成”后直接进入程序，以后每次打开先登录。",
        "想先看看程序能做什么，可以在向导里选“打开示范站”，点“完成”就直接进入，不用设置账号（以后再打开示范站，登录名 admin，"
        "密码 demo123，登录框上也写着）。示范站的数据都是虚构的，"
        "窗口顶部标着“示范站”。试用完后点“文件 → 退出示范站，建立本站台账”，回到向导建立正式台账，示范站的数据不会带进来。",
    )),
    Section("二、登录和操作员", (
        "以后每次打开先登录。管理员在“操作员”页添加其他操作员，角色分为管理员、录入员和查看员（只能查看和打印）。",
        "离开电脑时按 Ctrl+L 锁定（无人操作 10 分钟也会自动锁定），正在填写的内容不会丢失，输入密码即可继续。"
        "每人都可以用“文件 → 修改我的密码”改自己的密码。",
    ), "login", "登录窗口"),
    Section("三、工作台和“五有”自查", (
        "工作台上方的五张卡片（有场所、有队伍、有活动、有项目、有机制）按钢城文明委〔2022〕2号方案用红、黄、绿显示本站是否达标；"
        "下面的“本月要做的事”逐条写明差在哪里（例如某服务队本月还没有活动、距月底还有几天），点一下就打开相应页面。",
        "再往下是各服务队每月的活动次数和本年合计，以及本年各月按类别的活动图。“打印本月工作统计…”“打印本年工作统计…”打印成表。",
    ), "dashboard", "工作台"),
    Section("四、志愿者", (
        "点“新增志愿者”（或按 Ctrl+N）登记。输入身份证号会自动填写性别和出生日期；哪一项填得不对，提示就写在那一项下面。",
        "查找时可以输入姓名、拼音首字母（输入 zs 找到“张三”）、电话尾号或志愿者编号。双击一行打开修改；删除的记录进入回收站，可以恢复。",
        "已有 Excel 名单的，用“导入Excel…”：先预览，每一行的问题写明 Excel 中的行号，改正后再导入，或只导入无误的行。",
    ), "volunteers", "志愿者列表"),
    Section("五、活动台账", (
        "点“新增活动”，填写日期、起止时间、服务队、类别和地点，再点“添加志愿者…”选择参加的志愿者，逐人填写服务时长（默认按活动时长）。"
        "照片可以点“添加照片”，也可以直接拖进窗口；选中一张新照片点“照片说明…”（或双击）写一句说明，打印在台账的照片下方；"
        "加错的照片选中后点“移除所选照片”（或按 Delete），保存后才生效。时间可以直接输入 0930 或 9:30，按回车即保存；"
        "从 Excel 导入、没有记录时间的活动显示“未记录起止时间”，照原样保存即可。",
        "每月内容相近的活动，选中上次的活动点“复制此活动”，改日期和标题即可。",
        "志愿者用手机签到：选中活动点“开始签到”，志愿者用手机扫屏幕上的二维码（手机和电脑连同一个 Wi-Fi 即可，不需要互联网）；"
        "没有智能手机的，用“志愿者证”在签到窗口扫码。",
    ), "activity_form", "新增活动"),
    Section("六、群众点单（“五单”）", (
        "按“群众点单—派单—接单—评单—奖单”办理群众的需求：登记需求和办结期限，审核后派给服务队，完成服务时勾选参加的志愿者，"
        "服务时长自动记入活动台账；评单录入群众评分，奖单按积分规则记积分。超过期限还没办完的标红。",
        "本站办不了的需求，填写原因后“上报”给上一级；区里派来的需求同步后自动出现在“待派单”里。",
    ), "demands", "群众点单"),
    Section("七、打印台账", (
        "“活动台账”页的“打印台账…”、“志愿服务队”页的“打印名册…”、“志愿者”页的“服务证明…”和“志愿者证…”等，"
        "先在程序里预览，再“打印…”或“另存为…”PDF。PDF 是 A4 纸、左侧留装订边，内嵌中文字体，在哪台电脑上打开都一样；"
        "身份证号和电话在打印件上自动打码。",
    ), "preview", "打印预览"),
    Section("八、同步到区里", (
        "第一次同步前，在“同步”页填写区里给的服务器地址和 8 位登记码，点“登记”（只需一次）。"
        "以后点工具栏的“同步”即可：显示进度，可以随时取消；断网、断电都不会丢数据，也不会重复上传，下次接着传。",
        "村里没有网络时，“导出同步包…”把变更写到U盘，带到区里导入，再把区里给的回执“导入回执…”，结果和联网同步一样。",
    ), "sync", "同步"),
    Section("九、备份和恢复", (
        "程序每天自动备份一次，保留 30 份，列在“设置”页。建议每月点一次“立即备份”，再把数据文件夹里 backups 文件夹中最新的备份文件"
        "复制一份到U盘（数据文件夹在哪里，“帮助 → 关于实践站台账”里写着）。",
        "要回到某一天的样子，在“设置”页的备份列表中选中那一份，点“从所选备份恢复”；U盘上的备份文件用“从文件恢复…”。"
        "换了新电脑：装好程序后请技术人员运行 station restore 备份文件，或者先按向导建立台账，再在“设置”页“从文件恢复…”。",
    )),
)

FAQ = (
    ("忘记了密码怎么办？",
     "请本站的管理员在“操作员”页选中您，点“重设密码”。如果忘记密码的是唯一的管理员，请区文明实践中心的技术人员在这台电脑上运行"
     "命令 station operator reset-password 登录名，设置新密码。"),
    ("密码输错几次，登录不了了？",
     "同一个操作员连续输错 5 次密码会锁定 5 分钟，到时自动解锁；也可以请管理员在“操作员”页点“解锁”。"),
    ("没有网络能用吗？",
     "能。登记、记录、打印、自查全部在本机完成，不需要网络；有网络时再点“同步”，没有网络也可以用U盘同步包。"),
    ("同步没有成功，数据会丢吗？",
     "不会。数据都保存在本机，稍后再点“同步”会接着传，不会重复。“同步”页写明了没有成功的原因；个别被区里拒收的记录"
     "（例如电话号码格式不对）也列在那里，改正后再同步。"),
    ("电脑坏了、重装系统，台账还在吗？",
     "程序每天自动备份，请再定期把备份文件拷到U盘（见第九节）。新电脑装好程序后，请技术人员运行 station restore 备份文件；"
     "或者先按向导建立台账，再在“设置”页点“从文件恢复…”选U盘上的备份文件。"),
    ("为什么身份证号、电话号码显示成星号？",
     "为了保护个人信息，屏幕、打印件和日志中都自动打码。管理员确有需要时可以逐条查看完整号码，每次查看都记入操作记录。"),
    ("记错了、删错了怎么办？",
     "双击记录打开修改即可。删除的志愿者、活动进入回收站，可以恢复。积分记错了用“冲正”记一笔相反的。"),
    ("怎么知道本月“五有”达标了没有？",
     "看工作台：五张卡片红色是未达标、黄色是有风险、绿色是达标，“本月要做的事”写明还差什么。"),
    ("志愿者要开志愿服务记录证明怎么办？",
     "在“志愿者”页选中这位志愿者，点“服务证明…”，选年份后打印。证明带编号和二维码，区里可以扫码核验真伪。"),
    ("程序出错了怎么办？",
     "程序会弹出中文提示，您的数据已经保存，不会丢失。点“复制详细信息”，发给区文明实践中心的技术人员即可。"),
)


def manual_pdf(out: Path, shots: dict[str, Path], *, version: str) -> Path:
    """The manual with the pictures in ``shots`` (key → PNG); a section whose picture is missing goes without it."""
    s = styles()
    story: list = [
        Spacer(1, 60 * mm),
        Paragraph(markup("实践站台账"), s["cover"]),
        Spacer(1, 8 * mm),
        Paragraph(markup("使用手册"), s["subtitle"]),
        Spacer(1, 4 * mm),
        Paragraph(markup(f"版本 {version}　·　新时代文明实践站、所、中心专管员用"), s["subtitle"]),
        Spacer(1, 30 * mm),
        Paragraph(markup("本手册的图片取自程序本身（示范站，数据均为虚构）。程序里的“帮助 → 使用手册”随时可以打开本手册。"), s["body"]),
        PageBreak(),
        Paragraph(markup("目录"), s["title"]),
    ]
    for section in SECTIONS:
        story.append(Paragraph(markup(section.title), s["body"]))
    story += [Paragraph(markup("十、常见问题"), s["body"]), PageBreak()]
    for section in SECTIONS:
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(markup(section.title), s["h2"]))
        for text in section.text:
            story += [Paragraph(markup(text), s["body"]), Spacer(1, 2 * mm)]
        picture = shots.get(section.shot)
        if picture is not None and Path(picture).exists():
            story.append(KeepTogether([_picture(picture), Paragraph(markup(f"图：{section.caption}"), s["label"])]))
        story.append(Spacer(1, 4 * mm))
    story += [PageBreak(), Paragraph(markup("十、常见问题"), s["h2"])]
    for n, (question, answer) in enumerate(FAQ, 1):
        story.append(KeepTogether([Paragraph(markup(f"{n}. {question}"), s["h2"]), Paragraph(markup(answer), s["body"])]))
    return build(out, story, title="使用手册", station_name="实践站台账", author="实践站台账")


def _picture(path: Path, max_height: float = 105 * mm) -> Image:
    from reportlab.lib.utils import ImageReader

    width, height = ImageReader(str(path)).getSize()
    scale = min(FRAME_W / width, max_height / height)
    return Image(str(path), width=width * scale, height=height * scale)
