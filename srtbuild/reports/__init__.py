"""The reports layer: sidecars in, report.json/csv/html and summaries out, comparisons
between runs, and the progress display that watches a build."""
