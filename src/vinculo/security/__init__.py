"""The security event log: what happened to an account (logins, failures, lockouts, password and
two-factor changes, revoked sessions, blocks, reports), for the member and for operators."""
