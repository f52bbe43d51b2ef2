"""The settled schema migrations, by group; :mod:`bot.store.schema` lists them all."""
