"""Who may do what: user accounts, roles and the tamper-evident audit trail."""
