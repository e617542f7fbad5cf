"""Email: the outbox every mail goes through, written in the transaction of what causes it and sent
after commit by the worker; the mails themselves, in each member's language; members' choices of
which mails they get."""
