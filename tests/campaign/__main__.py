"""`python -m tests.campaign --seeds 20` (what `make chaos` does): the fault
campaign of campaign.py, run for the seeds asked."""

from __future__ import annotations

import sys

from .campaign import main

sys.exit(main())
