"""How a moment reads on screen: as dates read everywhere else, no leading zeros (a trial saw “12月07日”)."""

from __future__ import annotations

from datetime import datetime, timezone

from app.services.common import format_moment


def test_a_moment_reads_as_dates_do_in_this_pcs_time():
    local = datetime(2026, 12, 7, 9, 5).astimezone()  # aware, in this PC's zone
    assert format_moment(local) == "2026年12月7日 09:05"
    assert format_moment(datetime(2026, 1, 2, 18, 30)) == "2026年1月2日 18:30"  # naive: already local
    assert format_moment(local, year=False) == "12月7日 09:05"  # the 工作台's kept figures
    utc = local.astimezone(timezone.utc)  # stored in UTC, shown in this PC's time
    assert format_moment(utc) == "2026年12月7日 09:05"


def test_a_quoted_title_nests_its_own_quotes_as_chinese_does():
    from app.services.common import quoted

    assert quoted("“强国复兴有我”主题宣讲") == "“‘强国复兴有我’主题宣讲”"
    assert quoted("重阳敬老") == "“重阳敬老”"
