"""For running the suite against a Home Assistant newer than the test harness was made for
(``pytest -p tests.ha.harness_compat tests``), e.g. Home Assistant 2026.11.0 installed over
pytest-homeassistant-custom-component 0.13.375 (made for 2026.10.4). Not used otherwise.

Two things in the 2026.10 harness break on 2026.11 before a single test runs, neither in our
code:
- since 2026.11 ``import homeassistant`` makes ``httpx`` an alias of ``httpx2`` and refuses
  when ``httpx`` was imported first; the harness's plugin imports respx (and so httpx)
  before Home Assistant. A ``-p`` plugin is loaded before the harness's entry point, so
  importing Home Assistant here comes first.
- the harness imports ``_clear_logger_overwrites`` from ``homeassistant.components.logger``,
  which 2026.11 moved to ``homeassistant.components.logger.helpers``.
"""

import homeassistant.components.logger as logger_component
from homeassistant.components.logger import helpers

if not hasattr(logger_component, "_clear_logger_overwrites"):
    setattr(  # noqa: B010 (a name the module does not declare; mypy does not check tests)
        logger_component, "_clear_logger_overwrites", helpers._clear_logger_overwrites
    )
