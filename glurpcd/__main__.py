import sys

from glurpcd.daemon import main

sys.exit(main())
