"""People you should know: suggestions ranked from the graph and the members' careers, with
their reasons, and the members each one dismissed."""
