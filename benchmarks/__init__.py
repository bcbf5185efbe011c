"""Performance figures, each printed beside the machine's own limit measured in the same run.

Run `python -m benchmarks` (or `make bench`); see BENCHMARKS.md for what each figure means.
"""
