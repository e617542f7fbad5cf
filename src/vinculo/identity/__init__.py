"""Identity: members' accounts, passwords, sessions and bearer tokens, login throttling."""
