"""`python -m srtbuild` runs the same front end as the console script."""

import sys

from srtbuild.cli import main

sys.exit(main())
