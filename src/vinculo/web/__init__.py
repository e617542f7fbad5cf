"""The web: the HTTP application's shared pieces (pages, problems, security) and static files."""
