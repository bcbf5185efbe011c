"""`python -m benchmarks`: run the figures and print one table."""

from benchmarks.cli import main

raise SystemExit(main())
