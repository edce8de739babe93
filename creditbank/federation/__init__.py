"""Federation: banks that witness each other, and recognition of peer banks' records."""
