"""The aiogram side of the bot: building the Bot and Dispatcher, and the handlers."""
