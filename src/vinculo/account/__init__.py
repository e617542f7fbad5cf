"""My account as a whole: exporting what the product holds about me, closing the account,
reopening it within the grace period, and erasing it after."""
