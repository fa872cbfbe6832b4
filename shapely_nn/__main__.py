"""``python -m shapely_nn``."""

import sys

from shapely_nn.cli import main

sys.exit(main())
