"""Scheduled reports: the daily overdue digest (每日督办清单) and the monthly ranking snapshot (月度排名)."""
