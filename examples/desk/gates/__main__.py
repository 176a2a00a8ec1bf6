import sys

from gates.promotion_gate import main

sys.exit(main())
