"""Make the screenshots the README shows: play the demo, print its workbooks with LibreOffice, keep a page of each as PNG.

    python docs/screens/make.py            # writes docs/screens/*.png

Needs LibreOffice (soffice) and poppler's pdftotext and pdftoppm. Each picture is the
printed page of one sheet, found by the sheet name every nc-excel page header carries,
cut below its last line of text (and the room a row leaves to type in).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from nc_excel.demo import run_demo
from nc_excel.excel.libreoffice import convert
from nc_excel.folder import ProjectFolder

HERE = Path(__file__).resolve().parent
DPI = 110  # a printed page as wide as a laptop screen: every word readable, a file of a few hundred kB

SHOTS = (  # picture name, workbook (None: chosen below), sheet
    ("master-contents", "master.xlsx", "Contents"),
    ("master-dashboard", "master.xlsx", "Dashboard"),
    ("return-progress", None, "Progress"),  # a partner's workbook as AAL filled it in
    ("feedback", None, "Feedback"),  # the feedback workbook with the most to say
    ("board-overview", "board/NC_board_P1.xlsx", "Overview"),
)


def chosen(root: Path) -> dict[str, Path]:
    folder = ProjectFolder(root)
    return {"return-progress": min((folder.archive / "1" / "AAL").glob("*.xlsx")),
            "feedback": max(folder.feedback(1).glob("*.xlsx"), key=lambda p: p.stat().st_size)}


def page_of(pdf: Path, sheet: str) -> tuple[int, float, float]:
    """The first page whose header names ``sheet``, its width and how far down its last line of text reaches (points)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        width, height = (float(re.search(rf'{side}="([\d.]+)"', page).group(1)) for side in ("width", "height"))
        words = [(float(x0), float(y0), float(y1), w) for x0, y0, y1, w in
                 re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        head = [w for x0, y0, _, w in sorted(words, key=lambda w: w[0]) if y0 < 45 and x0 > 300]
        if head and head[-1] == sheet.split()[-1] and " ".join(head).endswith(sheet):
            body = [y1 for _, y0, y1, _ in words if 45 < y0 < height - 45]
            return number, width, min(max(body, default=height) + 90, height)  # room for the last row's empty part
    raise SystemExit(f"{pdf.name}: no page headed {sheet!r}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="nc-screens-") as tmp:
        root = run_demo(Path(tmp) / "demo", through=1, pdf=False).root
        books = {name: root / book for name, book, _ in SHOTS if book} | chosen(root)
        out = Path(tmp) / "pdf"
        out.mkdir()
        convert(list(dict.fromkeys(books.values())), "pdf", out, timeout=900)
        for name, _, sheet in SHOTS:
            pdf = out / f"{books[name].stem}.pdf"
            page, *size = page_of(pdf, sheet)
            width, height = (round(points * DPI / 72) for points in size)
            subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-x", "0", "-y", "0", "-W", str(width), "-H", str(height),
                            "-png", "-singlefile", str(pdf), str(HERE / name)], check=True)
            print(f"{name}.png: {books[name].name}, page {page}")


if __name__ == "__main__":
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        sys.exit("pdftoppm and pdftotext (poppler-utils) are needed")
    main()
