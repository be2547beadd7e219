"""Plain reference implementations the benchmarks compare genlab with (not part of the library)."""
