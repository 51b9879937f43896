"""Run the command line: ``python -m radiocausal check FILE``."""

import sys

from radiocausal.cli import main

sys.exit(main())
