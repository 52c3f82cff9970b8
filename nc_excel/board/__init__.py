"""The board summary workbook: the master read through its schema, the figures, the writer."""
