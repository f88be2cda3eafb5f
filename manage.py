#!/usr/bin/env python
"""Django's command-line utility. platform/ is a source root, not a package: it is put on
the path here (and by pytest and the installed package) so nothing is importable as
``platform``, which would shadow the standard library's module."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
for entry in (ROOT, ROOT / "platform"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
