"""Tools (layer 5): the benchmark harness and the step profiler, which measure what the spine
runs (the loop's own jitted step, its data pipeline).

May import: every layer of genjax.
"""
