"""``python -m conv_equivalence.cli``: the ``conv-equivalence`` command."""

import sys

from conv_equivalence.cli import main

sys.exit(main())
