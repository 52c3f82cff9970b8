"""Untrusted files in: sniffing and opening in limited workers, rules across fields and returns, the archive and its register, collect."""
