"""The user service: accounts, sessions, API keys and signed requests, deposits and withdrawals."""
