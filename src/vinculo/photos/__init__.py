"""Profile photos: an upload checked by its content, re-encoded without its metadata in the sizes
pages show, kept in the database, and served to the members who may see their owner."""
