"""The conversion engine: completions in, vocational skill credits and eligibility out."""
