"""Test-only: a Python process a test starts (``station`` on the command line, a district server, the
start-up probe) runs on the test's frozen clock, set by tests/conftest.py in STATION_TEST_CLOCK as
"<frozen start>,<real time of that start>" (epoch seconds). Never on the product's path."""

import os

_clock = os.environ.get("STATION_TEST_CLOCK")
if _clock:
    import datetime as _dt
    import time as _time

    import time_machine as _time_machine

    _frozen, _real = (float(part) for part in _clock.split(","))
    _time_machine.travel(_dt.datetime.fromtimestamp(_frozen + (_time.time() - _real)).astimezone(), tick=True).start()
