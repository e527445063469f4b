"""The data the product ships (fonts with their licences, icons, the 五有 rules, the national system's column
mapping). A package only so that a wheel carries it beside ``app``, ``ui`` and ``sync``: code finds it as the
sibling folder ``resources/`` of those packages, in a checkout, an installed wheel and the PyInstaller bundle."""
