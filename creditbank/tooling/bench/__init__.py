"""Benchmarks (`creditbank bench ...`): figures, with ratios against baselines measured in
the same run. Tooling: they may reach below the services, to time the parts."""
