"""report.html (srtbuild.reports.html): a self-contained page that shows every file,
escapes everything the report holds, stays small at 10,000 files, and whose script runs
to its end in a real browser without running anything a file name or message carries."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from srtbuild.reports.compare import compare
from srtbuild.reports.html import html_report
from srtbuild.reports.rows import MAX_FINDINGS

# What a hostile file name or message may hold. The first two would leave a trace in the
# page if they ran (a browser test looks for it); the rest are to come out as written.
PWN_TITLE = "<script>document.title='PWNED'</script>"
PWN_NODE = "\"><img src=x onerror=\"document.body.appendChild(document.createElement('b')).id='pwned'\">"
HOSTILE = [PWN_TITLE, PWN_NODE, "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "&amp;",
           "it's \"quoted\"", "two\nlines", "100% : done", "</script><!--"]
CHECKS = ("reading_speed", "line_length", "too_many_lines", "too_short", "too_long", "small_gap", "overlap")
VOID = {"meta", "input", "br", "img", "hr", "link", "source", "wbr"}


def row(path: str, status: str = "ok", before: float | None = 30.0, after: float | None = 60.0, **more) -> dict:
    ok = status == "ok"
    base = {
        "path": path, "output": path, "status": status, "segments": 6 if ok else 0, "cues_dropped": 0,
        "corrections": 21 if ok else 0,
        "corrections_by_rule": {"capitalization": 3, "timing": 11, "wrap": 7} if ok else {},
        "quality_before": before if ok else None, "quality_after": after if ok else None,
        "checks_before": dict.fromkeys(CHECKS, 3) if ok else {},
        "checks_after": {**dict.fromkeys(CHECKS, 0), "reading_speed": 3, "too_short": 1} if ok else {},
        "warnings": 7 if ok else 0, "findings": [], "error": None, "processing_time_s": 0.006454, "size_bytes": 514,
        "encoding": "utf-8", "processed_at": "2026-11-30T06:57:16.511144Z",
    }
    return {**base, **more}


def sample() -> dict:
    files = [
        row("philosophy/existentialism-04.srt", before=32.4, after=57.1, findings=[
            {"line": 11, "source": "reading_speed", "message": "24.5 characters a second (max 20)"},
            {"line": 19, "source": "reader", "message": "millisecond field '5' read as 500 ms"}]),
        row("physics/mechanics-02.srt", before=70.0, after=91.5, processing_time_s=1.5),
        row("physics/waves-01.srt", before=20.0, after=44.0, processing_time_s=0.0004),
        row("broken/ch2.srt", "failed", error={"message": "timestamp '00:01:02;500' is not a time", "line": 131}),
        row("drafts/empty.srt", "empty"),
        row("queue/later.srt", "pending", processing_time_s=None),
        row(f"hostile/{PWN_TITLE}.srt", before=10.0, after=12.0, corrections_by_rule={PWN_NODE: 2},
            findings=[{"line": 1, "source": PWN_TITLE, "message": PWN_NODE}]),
        row(f"hostile/{PWN_NODE}.srt", "failed", error={"message": PWN_TITLE, "line": None}),
        row("legacy/old-row.srt", checks_after=None, findings=None, corrections_by_rule=None, warnings=None),
        {"path": "legacy/bare.srt"},
        {"path": "legacy/odd-values.srt", "status": "ok", "quality_after": "high", "segments": True,
         "processing_time_s": float("nan"), "checks_after": {"reading_speed": None}, "findings": ["not a dict"],
         "error": "not a dict"},
    ]
    files += [row(f"hostile/{i}-{text}.srt", before=40.0, after=45.0 + i, checks_after={text: 2},
                  findings=[{"line": i, "source": text, "message": text}]) for i, text in enumerate(HOSTILE)]
    return {
        "schema": "srtbuild.report/1",
        "run": {"started": "2026-11-30T06:57:15Z", "finished": "2026-11-30T06:57:17Z", "duration_s": 1.2,
                "srtbuild_version": "0.3.0", "parallel": 2, "input": "/data/<b>lectures</b>",
                "output": "/data/build & out", "config": None, "settings_digest": "ab"},
        "totals": {"files": len(files), "succeeded": 14, "failed": 2, "empty": 1, "pending": 1, "processed": 12,
                   "up_to_date": 6, "removed": 1, "segments": 84, "cues_dropped": 2, "corrections": 300,
                   "corrections_by_rule": {"capitalization": 40, "timing": 150, "wrap": 110, PWN_TITLE: 1},
                   "warnings": 90, "quality_before": 35.2, "quality_after": 58.3},
        "errors": [{"path": "broken/ch2.srt", "line": 131, "message": "timestamp"},
                   {"path": "locked/", "line": None, "message": "permission denied <i>"}],
        "lost_cues": [{"path": "physics/mechanics-02.srt", "cues_dropped": 2}],
        "removed": [f"gone/{PWN_NODE}.srt"],
        "files": files,
    }


class Page(HTMLParser):
    """What the checks need from a page: tags (balanced, or it raises), the text of each
    file row's path, the data island, the scripts and every attribute."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: Counter = Counter()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.paths: list[str] = []  # <summary> texts inside table#files
        self.island: str | None = None
        self.scripts: list[str] = []
        self.title = ""
        self.ids: Counter = Counter()
        self.body: dict = {}
        self._text: list[str] | None = None
        self._where = ""
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed: {self.stack}"

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        a = dict(attrs)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "body":
            self.body = a
        if tag == "table" and a.get("id") == "files":
            self._where = "files"
        in_svg = "svg" in self.stack  # a chart's <title> is not the page's
        if tag in ("title", "script") and not in_svg or tag == "summary" and self._where == "files":
            self._text = []
        if tag == "script" and a.get("type") == "application/json":
            self._where = "island"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, k, v) for k, v in attrs]
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] += 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-3:]}"
        self.stack.pop()
        if self._text is not None and tag in ("summary", "title", "script"):
            text = "".join(self._text)
            if tag == "summary":
                self.paths.append(text)
            elif tag == "title":
                self.title = text
            elif self._where == "island":
                self.island = text
                self._where = ""
            else:
                self.scripts.append(text)
            self._text = None
        if tag == "table" and self._where == "files":
            self._where = ""

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def island_rows(page: Page) -> list[list]:
    assert page.island is not None
    return json.loads(page.island)["rows"]


def test_page_parses_with_five_charts_and_every_file_once():
    report = sample()
    for detailed in (500, 4, 0):
        text = html_report(report, None, detailed=detailed)
        page = Page(text)
        assert text.startswith("<!doctype html>")
        assert page.tags["svg"] == 5
        assert page.title == "srtbuild report: /data/<b>lectures</b>"
        shown = page.paths + [r[0] for r in island_rows(page)]
        for f in report["files"]:
            assert shown.count(f["path"]) == 1, f["path"]
        assert len(shown) == len(report["files"])
        assert len(page.paths) == min(detailed, len(report["files"]))


def test_rows_worst_first_failed_first_pending_and_empty_last():
    report = sample()
    paths = Page(html_report(report)).paths
    status = {f["path"]: f.get("status") for f in report["files"]}
    assert [status[p] for p in paths[:2]] == ["failed", "failed"]
    assert {status[p] for p in paths[-2:]} == {"pending", "empty"}
    scores = [f.get("quality_after") for p in paths for f in report["files"] if f["path"] == p]
    numbers = [s for s in scores if isinstance(s, float)]
    assert numbers == sorted(numbers)
    assert paths[2] == f"hostile/{PWN_TITLE}.srt"  # the worst score, 12.0


def test_details_say_what_was_corrected_and_what_still_fails():
    text = html_report(sample())
    assert "line 11: reading_speed: 24.5 characters a second (max 20)" in text
    assert "line 19: reader: millisecond field &#x27;5&#x27; read as 500 ms" in text
    assert "and 5 more warnings in the file" in text
    assert "corrections: timing 11, wrap 7, capitalization 3" in text
    assert "reading_speed 3, too_short 1" in text
    assert "error at line 131: timestamp &#x27;00:01:02;500&#x27; is not a time" in text
    assert "32.4 \u2192 <b class=\"q-mid\">57.1</b>" in text
    assert "permission denied &lt;i&gt;" in text  # a folder that could not be listed
    assert "No earlier report to compare with." in text


def test_hostile_text_is_only_ever_text():
    report = sample()
    for detailed in (500, 0):
        text = html_report(report, compare(report, report), detailed=detailed)
        page = Page(text)
        for bad in ("<script>alert", "<img src=x", "<script>document", "<b>lectures", "<i>", "<!--"):
            assert bad not in text
        assert page.tags["script"] == 2 and page.tags["img"] == 0
        # No handler attribute, and nothing that points anywhere: the page loads nothing.
        assert not [a for a in page.attrs if a[1].startswith("on") or a[1] in ("src", "href", "action")]
        assert "http://" not in text and "https://" not in text
        assert page.island is not None and "</" not in page.island and "<" not in page.island
        # Escaped, not lost: the island and the rows give back each name as it was.
        shown = set(page.paths) | {r[0] for r in island_rows(page)}
        for i, hostile in enumerate(HOSTILE):
            assert f"hostile/{i}-{hostile}.srt" in shown


def test_comparison_lists_what_changed():
    old = sample()
    new = json.loads(json.dumps(old))
    new["files"][0]["status"] = "failed"
    new["files"][3]["status"] = "ok"
    new["files"][3]["quality_after"] = 70.0
    new["files"].append(row("new/added.srt"))
    new["totals"]["quality_after"] = 57.3
    text = html_report(new, compare(old, new))
    assert "1 added" in text and "1 newly failing" in text and "1 fixed" in text
    assert "mean quality after correction down 1.00 (58.3 \u2192 57.3)" in text
    Page(text)


def test_empty_and_minimal_reports_render():
    for report in ({}, {"files": []}, {"run": None, "totals": None, "files": None, "errors": None}):
        text = html_report(report)
        page = Page(text)
        assert page.tags["svg"] == 5 and page.paths == [] and island_rows(page) == []
        assert "No files in this report." in text


def big(n: int) -> dict:
    report = sample()
    rules = {"capitalization": 6, "repeated_words": 2, "timing": 11, "wrap": 5, "fillers": 1}
    checks = {**dict.fromkeys(CHECKS, 0), "reading_speed": 4, "small_gap": 4, "too_short": 1}
    report["files"] = [
        row(f"course{i % 200:03d}/lecture-{i:05d}-a-title-of-ordinary-length.srt", before=20 + i % 50,
            after=40 + i % 60, processing_time_s=0.002 + (i % 97) / 1000, corrections_by_rule=rules,
            checks_after=checks, warnings=12,
            findings=[{"line": 4 * k + 1, "source": "reading_speed",
                       "message": f"{21 + (i + k) % 9}.{k} characters a second (max 20)"} for k in range(MAX_FINDINGS)])
        for i in range(n)
    ]
    return report


def test_ten_thousand_files_stay_under_five_megabytes():
    report = big(10_000)
    text = html_report(report)
    size = len(text.encode("utf-8"))
    print(f"\n10,000 files: report.html {size:,} bytes")
    assert size < 5_000_000
    page = Page(text)
    assert len(page.paths) == 500 and len(island_rows(page)) == 9_500
    assert "9,500 more files are not shown here" in text


# The browser: the script runs to its end, builds the island's rows, and nothing a name carries runs.

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not found on PATH (Debian package `chromium`)")


FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0")


def script_errors(stderr: str) -> None:
    """An exception in the page's script, or a script the page's policy refused to run."""
    errors = [line for line in stderr.splitlines() if "Uncaught" in line or "Refused to" in line]
    assert not errors, "\n".join(errors)


def chromium(tmp: Path, url: str, *args: str) -> tuple[str, str]:
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    script_errors(done.stderr)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


@needs_chromium
@pytest.mark.parametrize("detailed", [500, 0], ids=["rows-as-html", "rows-from-the-island"])
def test_browser_runs_the_script_and_nothing_else(tmp_path: Path, detailed: int):
    report = sample()
    page_file = tmp_path / "report.html"
    page_file.write_text(html_report(report, compare(report, report), detailed=detailed), encoding="utf-8")
    dom, _ = chromium(tmp_path, page_file.as_uri(), "--dump-dom")
    page = Page(dom)
    assert page.body.get("data-ready") == "1", "the script did not run to its end"
    assert page.title != "PWNED" and "pwned" not in page.ids
    assert page.tags["svg"] == 5
    assert sorted(page.paths) == sorted(f["path"] for f in report["files"])  # every row, built by either side


@needs_chromium
@pytest.mark.parametrize("size", ["1280,2000", "390,844"], ids=["laptop", "phone"])
def test_browser_screenshot(tmp_path: Path, size: str):
    page_file = tmp_path / "report.html"
    page_file.write_text(html_report(big(1200), None), encoding="utf-8")
    shot = tmp_path / "shot.png"
    chromium(tmp_path, page_file.as_uri(), f"--screenshot={shot}", f"--window-size={size}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


class DevTools:
    """Chromium driven over --remote-debugging-pipe (the DevTools protocol, NUL-ended JSON
    on the child's fds 3 and 4): enough to run a line of script in a page and read its value."""

    def __init__(self, tmp: Path):
        cmd_r, self._out = os.pipe()
        self._in, reply_w = os.pipe()
        self.log = tmp / "chromium.log"

        # Runs in the child, before it closes the fds not passed; only dup2, so safe after fork.
        def onto_3_and_4() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(reply_w, 4)

        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}",
                                          "--remote-debugging-pipe", "about:blank"],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=(3, 4), preexec_fn=onto_3_and_4)  # noqa: PLW1509
        os.close(cmd_r)
        os.close(reply_w)
        self._buf, self._id = b"", 0

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" not in self._buf:
                ready, _, _ = select.select([self._in], [], [], max(deadline - time.monotonic(), 0))
                chunk = os.read(self._in, 1 << 16) if ready else b""
                assert chunk, f"no answer from chromium to {method}"
                self._buf += chunk
            line, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(line)
            if reply.get("id") == self._id:
                assert "error" not in reply, reply["error"]
                return reply["result"]

    def open(self, url: str) -> str:
        target = self.call("Target.createTarget", url=url)["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        deadline = time.monotonic() + 60
        while self.js(session, "document.body && document.body.dataset.ready") != "1":
            script_errors(self.log.read_text(errors="replace"))  # fail now, not at the deadline
            assert time.monotonic() < deadline, "the page's script did not finish"
            time.sleep(0.05)
        return session

    def js(self, session: str, expression: str):
        got = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
        assert "exceptionDetails" not in got, got["exceptionDetails"]
        return got["result"].get("value")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=60)
        os.close(self._out)
        os.close(self._in)
        script_errors(self.log.read_text(errors="replace"))


ROWS = "Array.from(document.querySelectorAll('#files tbody tr'))"
PATHS = f"{ROWS}.map(tr => tr.querySelector('summary').textContent)"
CELLS = f"{ROWS}.map(tr => [tr.className, Array.from(tr.cells).map(c => c.textContent)])"


def act(js: str) -> str:
    """A user's action as an expression, run for its effect (a click's value is not wanted)."""
    return f"(() => {{ {js}; return 0; }})()"


@pytest.fixture()
def browser(tmp_path: Path):
    if CHROMIUM is None:
        pytest.skip("chromium not found on PATH (Debian package `chromium`)")
    tools = DevTools(tmp_path)
    yield tools
    tools.close()


def test_browser_sorts_filters_and_shows_more(tmp_path: Path, browser: DevTools):
    report = big(1200)
    paths = sorted(f["path"] for f in report["files"])
    (tmp_path / "big.html").write_text(html_report(report), encoding="utf-8")
    page = browser.open((tmp_path / "big.html").as_uri())

    def js(expression: str):
        return browser.js(page, expression)

    assert js(f"{ROWS}.length") == 500
    assert js("document.getElementById('more').textContent") == "show 500 more (700 not shown)"
    assert js("document.getElementById('nojs').hidden") is True
    js(act("document.getElementById('more').click()"))
    js(act("document.getElementById('more').click()"))
    assert js(f"{ROWS}.length") == 1200 and js("document.getElementById('more').hidden") is True
    js(act("document.querySelector('#files th button').click()"))  # path, ascending
    assert js(PATHS)[:500] == paths[:500]
    js(act("document.querySelector('#files th button').click()"))  # and descending
    assert js(PATHS)[:500] == paths[::-1][:500]
    js(act("const f = document.getElementById('filter'); f.value = 'LECTURE-0119'; "
           "f.dispatchEvent(new Event('input'))"))
    assert sorted(js(PATHS)) == [p for p in paths if "lecture-0119" in p]
    assert js("document.getElementById('shown').textContent") == "10 of 10 files shown"


def test_browser_rows_from_the_island_match_rows_from_python(tmp_path: Path, browser: DevTools):
    report = sample()
    pages = []
    for detailed in (500, 0):
        (tmp_path / f"{detailed}.html").write_text(html_report(report, detailed=detailed), encoding="utf-8")
        pages.append(browser.open((tmp_path / f"{detailed}.html").as_uri()))
    python, script = (browser.js(p, CELLS) for p in pages)
    assert len(python) == len(report["files"]) and script == python
    for page in pages:  # quality: worst first, a file without a score last, either way
        browser.js(page, act("document.querySelectorAll('#files th button')[4].click()"))
        first = browser.js(page, CELLS)
        browser.js(page, act("document.querySelectorAll('#files th button')[4].click()"))
        again = browser.js(page, CELLS)
        assert first[0][1][0].startswith(f"hostile/{PWN_TITLE}.srt")
        assert again[0][1][0].startswith("physics/mechanics-02")
        assert first[-1][1][4] == again[-1][1][4] == "\u2013"
        browser.js(page, act("const s = document.getElementById('status'); s.value = 'failed'; "
                             "s.dispatchEvent(new Event('change'))"))
        assert sorted(browser.js(page, PATHS)) == ["broken/ch2.srt", f"hostile/{PWN_NODE}.srt"]
        assert browser.js(page, "document.title") != "PWNED"
        assert browser.js(page, "!!document.getElementById('pwned')") is False


def test_names_no_encoding_could_read_still_make_a_page():
    report = {"files": [row("lectures/caf\udce9.srt"), row("lectures/\u4e2d\u6587 \U0001f600.srt")]}
    text = html_report(report, detailed=1)
    text.encode("utf-8")  # a lone surrogate would not encode
    page = Page(text)
    assert "lectures/\u4e2d\u6587 \U0001f600.srt" in page.paths + [r[0] for r in island_rows(page)]
