"""Living labs, schedule and finance: pure functions from frames to frames."""
