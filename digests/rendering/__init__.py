"""Rendering one built digest for each channel: the web, email and Telegram."""
