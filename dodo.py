"""Build the subtitles this folder's srtbuild.yaml names: run `doit` here.

`doit list --all --status` shows what is out of date, `doit clean` removes the outputs,
`srtbuild batch` does the same build with a progress display. Written by `srtbuild init`.
"""

from srtbuild.tasks import dodo

dodo(globals())
