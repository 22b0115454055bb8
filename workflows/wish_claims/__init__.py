"""揽梦 claim deadlines: a claimed wish returns to the wall by itself when its claim expires."""
