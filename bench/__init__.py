"""Benchmark of `phonebank run` against the speed of plain Python csv (`make bench`)."""
