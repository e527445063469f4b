"""Spreadsheets in and out — the core's adapters to Excel, WPS and the national systems:

- ``excel``: read a roster or an activity sheet (.xlsx, .xls, .csv), check every row, import; export to Excel;
- ``national``: the national volunteer system's and 志愿山东's records, in and out (``resources/national/``);
- ``sheets``: writing one row of a sheet, shared by both and by the district's exports."""
