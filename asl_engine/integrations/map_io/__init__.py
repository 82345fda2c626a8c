"""A Distributed Map's I/O: ItemReader (and its item formats) and ResultWriter."""
