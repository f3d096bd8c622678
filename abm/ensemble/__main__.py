"""``python -m abm.ensemble warm-up [SCENARIO]``: build the numba cache on this node."""

import sys

from abm.ensemble.worker import main

sys.exit(main())
