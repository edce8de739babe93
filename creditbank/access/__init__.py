"""Who may do what: principals and tokens, learner accounts, and personal data kept off the
ledger, encrypted per learner."""
