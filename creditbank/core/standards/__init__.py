"""The competency standards and program files as validated models (pure)."""
