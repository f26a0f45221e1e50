"""Web views of the news app: the dashboard, and news lists and items."""
