"""The insured person's portal, what it needs besides the pages: the thread of messages
with the fund, the record of a decision read, the decisions told by SMS, a claim's
timeline with its estimated payment date and each line's decision in plain words."""
