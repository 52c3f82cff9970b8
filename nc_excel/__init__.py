"""nc-excel: the reporting cycle of an Interreg partnership, run in Excel workbooks."""

__version__ = "0.1.0"
