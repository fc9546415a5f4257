"""``report.pdf``: the HTML report printed to A4 by a headless browser.

No Python package from the package index prints this HTML faithfully without
system libraries of its own, so grokcheck uses what a Debian/Ubuntu machine
installs with ``apt-get install chromium`` (headless Chromium's
``--print-to-pdf``), or WeasyPrint when it is importable
(``pip install weasyprint``, which itself needs Pango). With neither, asking
for ``pdf`` is a clear error and the Markdown/HTML are still written.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ConfigError

__all__ = ["find_browser", "html_to_pdf", "print_html"]

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """Path of a headless-capable Chromium/Chrome on PATH (``GROKCHECK_BROWSER`` overrides), or None."""
    env = os.environ.get("GROKCHECK_BROWSER")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_html(browser: str, html_path: Path, *args: str, timeout: float = 180.0) -> str:
    """Run headless ``browser`` on ``html_path`` with extra ``args``; returns stdout (e.g. ``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="grokcheck-chromium-") as prof:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--no-default-browser-check", f"--user-data-dir={prof}",
               *args, Path(html_path).resolve().as_uri()]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if res.returncode != 0:
        raise ConfigError(f"{browser} failed ({res.returncode}): {res.stderr.strip()[-400:]}")
    return res.stdout


def html_to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str]) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4 portrait, the report's ``@media print`` CSS).

    Raises
    ------
    ConfigError
        When neither Chromium nor WeasyPrint is available (with the install command).
    """
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    browser = find_browser()
    if browser is not None:
        print_html(browser, html_path, "--no-pdf-header-footer", f"--print-to-pdf={tmp}")
    else:
        try:
            import weasyprint  # type: ignore[import-not-found]
        except ImportError:
            raise ConfigError("--format pdf needs headless Chromium (apt-get install chromium) or WeasyPrint "
                              "(pip install weasyprint); report.md and report.html are written") from None
        weasyprint.HTML(filename=str(html_path)).write_pdf(str(tmp))
    if not tmp.exists() or tmp.stat().st_size == 0:
        raise ConfigError(f"printing {html_path} to PDF produced nothing")
    from .._written import write_owned

    data = tmp.read_bytes()
    tmp.unlink()
    write_owned(pdf_path, data)   # recorded as grokcheck's own, like the other report files
    return pdf_path
