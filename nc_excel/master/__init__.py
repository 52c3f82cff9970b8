"""The master workbook: its schema, the frames it is built from, the coordinator's decisions, the build."""
