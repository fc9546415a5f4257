"""``python -m comparison`` is the ``grokcheck`` command line."""
import sys

from comparison.cli import main

sys.exit(main())
