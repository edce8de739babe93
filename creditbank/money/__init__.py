"""Money: learners' rewards, providers' subsidies and the budgets they draw on."""
