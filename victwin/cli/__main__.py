import sys

from victwin.cli import main

sys.exit(main())
