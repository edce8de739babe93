"""Storage: engines, tables and migrations. Schema changes only through Alembic."""
