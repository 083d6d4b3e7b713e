"""Engine benchmarks (pytest-benchmark): `make bench`; figures in docs/performance.md."""
