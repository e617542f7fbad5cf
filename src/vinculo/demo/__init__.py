"""The demo community: a plausible, bilingual professional network generated from a seed."""
