"""Notifications: an outbox of e-mails written in the transaction of the decision they tell
about, delivered once it committed by `daman notifications send`."""
