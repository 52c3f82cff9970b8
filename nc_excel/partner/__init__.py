"""The partner workbook: its schema, writer, reader, feedback, carry-over from the period before, and simulated partners."""
