"""Member search: the index of what members can be found by, and finding them (ADR 0017)."""
