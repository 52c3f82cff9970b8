"""The joint progress report and the reminder e-mail drafts: what the coordinator sends out after the master."""
