"""The API service and its parts (no Textual).

httpx's ``__init__`` imports its own command-line tool (``httpx._main``), which pulls in
click, pygments and parts of rich: about 12 ms of start-up that flowtui never uses. Marking
that module absent before httpx is first imported makes httpx fall back to the stub it keeps
for when those packages are missing; every other part of httpx is unaffected.
"""

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
