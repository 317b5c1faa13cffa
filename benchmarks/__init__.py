"""The scan benchmark (`python benchmarks/scan_bench.py`) and its helpers; not part of the package."""
