"""The build engine: sources, doit tasks, state, up-to-date checks, isolation, `batch`.

It drives the subtitle core (srtbuild.processor) file by file and knows nothing of SRT
syntax; the reports layer reads what it leaves behind.
"""
