"""Benchmarks against PyTorch CPU, reported as ratios measured side by side in one run."""
