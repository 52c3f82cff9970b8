"""Excel plumbing with no domain words: the column annotation, reading grids through a model, tolerant parsing, writing (XlsxWriter), editing (openpyxl), LibreOffice."""
